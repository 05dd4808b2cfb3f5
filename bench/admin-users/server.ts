// The server under test, started as bench/servers/gatehouse.ts starts it (what `npm start` runs, the bundle, as
// a child process on loopback with NODE_ENV=production), on a store seeded beforehand.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import { SERVER_ENTRY } from '../../test/helpers/processes.js';
import { stopChild, waitForDiscovery } from '../servers/process.js';
import type { SeededStore } from './seed.js';

export interface RunningServer {
  issuer: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startServer(seeded: SeededStore): Promise<RunningServer> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(packageRoot, SERVER_ENTRY)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...seeded.env },
    cwd: packageRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await waitForDiscovery(seeded.issuer, child, started);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { issuer: seeded.issuer, process: child, stop: () => stopChild(child) };
}
