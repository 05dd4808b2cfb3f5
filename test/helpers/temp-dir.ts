import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the system temp dir, and a function that removes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
