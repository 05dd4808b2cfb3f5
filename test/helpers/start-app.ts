// Starts a real Gatehouse app on a loopback port, on a temp directory, in this process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { systemClock, type Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { openServices, type Services } from '../../src/services.js';
import { tempDir } from './temp-dir.js';

export interface RunningApp extends Services {
  url: string;
  config: Config;
  clock: Clock;
  dir: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment, as the server would read it. */
  env?: Record<string, string>;
  /** A path for the issuer, e.g. '/idp'. */
  basePath?: string;
  /** Time for the app (lifetimes, expiry); the system clock by default. */
  clock?: Clock;
}

export async function startApp({ env = {}, basePath = '', clock = systemClock }: StartOptions = {}): Promise<RunningApp> {
  const { dir, remove } = tempDir();
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loadConfig(
    { DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), PORT: String(port), ISSUER: `http://127.0.0.1:${port}${basePath}`, LOG_LEVEL: 'info', ...env },
    dir,
  );
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const services = await openServices(config, clock, logger);
  server.on('request', createApp({ config, store: services.store, keyRing: services.keyRing, clock, logger, sessionEnd: services.sessionEnd }));
  return {
    ...services,
    url: `http://127.0.0.1:${port}${config.basePath}`,
    config,
    clock,
    dir,
    logs,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.close();
      remove();
    },
  };
}
