// Runs `npm run demo`'s script (scripts/demo.mjs) as a child process on free ports, reads the addresses and
// credentials it prints, and keeps its relayed output so a test can wait for what an application logged.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { packageRoot } from '../../src/paths.js';

export interface DemoSummary {
  issuer: string;
  admin: { email: string; password: string; url: string };
  user: { email: string; name: string; password: string };
  apps: { express: string; openidClient: string; spa: string; api: string };
  /** The SPA's API: where it listens, its identifier at Gatehouse (the `aud` it accepts) and the scope it needs. */
  api: { url: string; identifier: string; scope: string };
  clientIds: { express: string; openidClient: string; spa: string; deviceCli: string };
  dataDir: string;
}

export interface RunningDemo {
  summary: DemoSummary;
  /** Every line the demo printed so far (`[app2] …`). */
  lines: string[];
  /** Stops the demo as Ctrl-C would and resolves with its exit code. */
  stop(): Promise<number | null>;
}

const START_TIMEOUT_MS = 90_000;

export function startDemo(): Promise<RunningDemo> {
  const child = spawn(process.execPath, [path.join(packageRoot, 'scripts/demo.mjs'), '--ports', 'auto', '--json'], {
    cwd: packageRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(forced);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the demo did not start within ${START_TIMEOUT_MS / 1000} s:\n${lines.join('\n')}`));
    }, START_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (!line.startsWith('{"demo":')) return;
        clearTimeout(timer);
        resolve({ summary: (JSON.parse(line) as { demo: DemoSummary }).demo, lines, stop });
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before it was ready:\n${lines.join('\n')}`));
    });
  });
}
