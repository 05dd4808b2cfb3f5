// The server processes of the benchmark: a free loopback port (the tests' own helper), cold start as the issue
// defines it (from spawn to the first 200 on discovery, polled every 5 ms), and stopping.
import type { ChildProcess } from 'node:child_process';
export { freePort } from '../../test/helpers/processes.js';

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitForDiscovery(issuer: string, child: ChildProcess, startedAt: number, timeoutMs = 15_000): Promise<number> {
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const deadline = startedAt + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode} before it served discovery: ${output}`);
    try {
      const response = await fetch(`${issuer}/.well-known/openid-configuration`);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - startedAt;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not serve discovery within ${timeoutMs} ms: ${output}`);
}
