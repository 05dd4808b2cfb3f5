// Runs Gatehouse's own executables (the compiled `idp` tool and the bundled server) as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import type { RunningApp } from './start-app.js';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what the processes need: no variable from the developer's shell leaks into a test. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env };
}

/** The environment under which the `idp` tool works on a running app's store and keys, whichever the engine. */
export function idpEnv(app: RunningApp): Record<string, string> {
  const env: Record<string, string> = { DATA_DIR: app.config.dataDir, KEYS_DIR: app.config.keysDir, ISSUER: app.config.issuer };
  if (app.config.database.engine === 'postgres') {
    env.DATABASE_URL = app.config.database.url;
    env.KEY_ENCRYPTION_KEY = app.config.keyEncryptionKey?.toString('base64') ?? '';
  }
  return env;
}

export function runIdp(args: string[], env: Record<string, string>, stdin?: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(packageRoot, 'bin/idp.js'), ...args], { env: childEnv(env), cwd: packageRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit once the process has ended (SIGTERM first). */
  stop(): Promise<number | null>;
}

/** What `npm start` runs: the bundle that `npm run build` writes (scripts/bundle.mjs). */
export const SERVER_ENTRY = 'dist/gatehouse.mjs';

export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, [path.join(packageRoot, SERVER_ENTRY)], { env: childEnv(env), cwd: packageRoot });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls `url` until it answers 200, at most `attempts` times. */
export async function waitUntilServing(url: string, server: ServerProcess, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (server.child.exitCode !== null) throw new Error(`server exited with ${server.child.exitCode}: ${server.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not answer ${url}: ${server.output()}`);
}

/** Resolves with the exit code of a process expected to end by itself. */
export function exitOf(server: ServerProcess, timeoutMs = 10_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (server.child.exitCode !== null) return resolve(server.child.exitCode);
    const timer = setTimeout(() => reject(new Error(`process still running: ${server.output()}`)), timeoutMs);
    server.child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
