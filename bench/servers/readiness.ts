// Cold start as the issue defines it: from spawn to the first 200 on discovery, polled every 5 ms.
import type { ChildProcess } from 'node:child_process';

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
