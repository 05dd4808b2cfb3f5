// The demo's child processes: Gatehouse, the `idp` tool and the example applications, each with only the
// environment it is given, its output relayed line by line under a label, and stopped on the way out.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

/** How long a process may take to say it is listening, or to stop after SIGTERM. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** What every child inherits from the demo's own environment: no secret or setting of the developer's shell. */
function baseEnv() {
  const env = { PATH: process.env.PATH ?? '' };
  for (const name of ['HOME', 'LANG', 'TZ', 'SystemRoot']) if (process.env[name]) env[name] = process.env[name];
  return env;
}

/** Runs the `idp` tool to completion and returns its parsed `--json` output. */
export function runIdp(root, args, env, stdin = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/idp.js'), ...args, '--json'], { cwd: root, env: { ...baseEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`idp ${args.slice(0, 2).join(' ')} failed (exit ${code}): ${stderr.trim()}`));
    });
    child.stdin.end(stdin);
  });
}

/**
 * Starts a long-running process whose output is relayed as `[label] line`. `ready` resolves once `readyCount`
 * lines matched `readyLine` (or at once without one); `exited` resolves with the exit code. Each child is
 * the leader of its own process group, so that Ctrl-C reaches only the demo, which then stops the children
 * in order instead of seeing them die under it.
 */
export function startProcess({ root, label, script, env, readyLine, readyCount = 1, relay }) {
  const child = spawn(process.execPath, [path.join(root, script)], { cwd: root, env: { ...baseEnv(), ...env }, detached: true });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  let resolveReady;
  let rejectReady;
  const ready = new Promise((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const timer = setTimeout(() => rejectReady(new Error(`${label} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  const seen = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      relay(label, line);
      if (!readyLine) return;
      if (readyLine.test(line)) seen.push(line);
      if (seen.length >= readyCount) resolveReady(seen);
    });
  }
  if (!readyLine) resolveReady([]);
  // `exited` never rejects; once `ready` has settled, this rejection is a no-op.
  void exited.then((code) => rejectReady(new Error(`${label} exited (${code}) before it was ready`)));
  ready.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );

  return {
    label,
    ready,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(forced);
      return code;
    },
  };
}

/** Polls a URL until it answers 200, for a process that does not announce itself on stdout. */
export async function waitForOk(url, timeoutMs = START_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port that is free on `host` now (`--ports auto`, for tests running beside other demos). */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
