// Starts a real Gatehouse app on a loopback port, on a temp directory, in this process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { systemClock, type Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { Resolver } from '../../src/http/outbound-request.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { openServices, type Services } from '../../src/services.js';
import { freshPostgresSchema, TEST_KEY_ENCRYPTION_KEY } from './postgres.js';
import { tempDir } from './temp-dir.js';

export interface RunningApp extends Services {
  url: string;
  config: Config;
  clock: Clock;
  dir: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Record<string, unknown>[];
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment, as the server would read it. */
  env?: Record<string, string>;
  /** A path for the issuer, e.g. '/idp'. */
  basePath?: string;
  /** Time for the app (lifetimes, expiry); the system clock by default. */
  clock?: Clock;
  /** Name resolution for the URLs clients register (POST /register checks them); the system's by default. */
  resolve?: Resolver;
}

/**
 * The store the HTTP suites run on: SQLite, or, in the vitest project `postgres` (GATEHOUSE_TEST_ENGINE), a
 * fresh schema of TEST_DATABASE_URL per app — the same tests on both engines.
 */
async function storeEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  if (process.env.GATEHOUSE_TEST_ENGINE !== 'postgres') return { env: {}, drop: async () => undefined };
  if (!url) throw new Error('GATEHOUSE_TEST_ENGINE=postgres needs TEST_DATABASE_URL');
  const { url: schemaUrl, drop } = await freshPostgresSchema(url);
  // Key changes made by the `idp` tool reach the app within a second, as they reach a file-watching SQLite app.
  return { env: { DATABASE_URL: schemaUrl, DATABASE_POOL_SIZE: '4', KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY, KEY_REFRESH_INTERVAL: '1' }, drop };
}

export async function startApp({ env = {}, basePath = '', clock = systemClock, resolve }: StartOptions = {}): Promise<RunningApp> {
  const { dir, remove } = tempDir();
  const database = await storeEnv();
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loadConfig(
    { DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), PORT: String(port), ISSUER: `http://127.0.0.1:${port}${basePath}`, LOG_LEVEL: 'info', ...database.env, ...env },
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
  // The services' federation: services.close() closes it (its directory pools hold sockets).
  const listener = createApp({
    config,
    store: services.store,
    keyRing: services.keyRing,
    clock,
    logger,
    sessionEnd: services.sessionEnd,
    mailer: services.mailer,
    breachedPasswords: services.breachedPasswords,
    federation: services.federation,
    resolve,
  });
  server.on('request', listener);
  return {
    ...services,
    url: `http://127.0.0.1:${port}${config.basePath}`,
    config,
    clock,
    dir,
    logs,
    logger,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await listener.close();
      await services.close();
      await database.drop();
      remove();
    },
  };
}
