// Process entry for `npm start`: configuration, store, keys, then HTTP or HTTPS.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { systemClock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import { ConfigError, GatehouseError } from './errors.js';
import { createLogger } from './logger.js';
import { endExpiredSessions } from './logout/expired-sessions.js';
import { startMetricsListener } from './metrics/metrics-listener.js';
import { openServices } from './services.js';
import { startAutoRotation } from './signing/auto-rotation.js';
import { keyPolicy } from './signing/key-schedule.js';
import { startHousekeeping } from './store/housekeeping.js';

function createServer(config: Config): http.Server {
  if (!config.tls) return http.createServer();
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(config.tls.certFile);
  } catch (error) {
    throw new ConfigError('TLS_CERT_FILE', `cannot be read: ${(error as Error).message}`);
  }
  try {
    key = readFileSync(config.tls.keyFile);
  } catch (error) {
    throw new ConfigError('TLS_KEY_FILE', `cannot be read: ${(error as Error).message}`);
  }
  return https.createServer({ cert, key, minVersion: 'TLSv1.2' });
}

function listen(server: http.Server, config: Config): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo));
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = createServer(config);
  // The HTTP application (Express and every route, the larger part of the code) is loaded while the store opens
  // (on SQLite, a thread of its own that boots in parallel), instead of before: neither waits for the other.
  const [services, { createApp }] = await Promise.all([openServices(config, systemClock, logger), import('./http/app.js')]);
  const { store, keyRing, sessionEnd, mailer, federation } = services;
  server.on('request', createApp({ config, store, keyRing, clock: systemClock, logger, sessionEnd, mailer, breachedPasswords: services.breachedPasswords, federation }));
  try {
    const address = await listen(server, config);
    logger.info({ issuer: config.issuer, host: address.address, port: address.port, tls: config.tls !== null, kid: keyRing.signingKey.kid }, 'Gatehouse is listening');
  } catch (error) {
    await services.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError('PORT', code === 'EADDRINUSE' ? `${config.port} is already in use on ${config.host}` : `cannot be bound on ${config.host}: ${(error as Error).message}`);
  }

  // Issue 26: METRICS_PORT's own listener on 127.0.0.1, serving only /metrics (src/metrics/metrics-listener.ts).
  const metricsListener = await startMetricsListener({ config, keyRing, clock: systemClock, logger }).catch(async (error: unknown) => {
    server.close();
    await services.close();
    throw new ConfigError('METRICS_PORT', `cannot be bound on 127.0.0.1: ${(error as Error).message}`);
  });
  if (metricsListener) logger.info({ host: '127.0.0.1', port: metricsListener.port }, 'metrics are served on their own listener');

  // Issue 26: sessions over by time end as by a logout, their applications told (src/logout/expired-sessions.ts).
  const endExpired = { store, sessionEnd, idleSeconds: config.lifetimes.sessionIdle };
  const stopHousekeeping = startHousekeeping(store, systemClock, logger, { endExpiredSessions: (now) => endExpiredSessions(endExpired, now) });
  const stopRotation = startAutoRotation({ keyRing, store, clock: systemClock, policy: keyPolicy(config), logger, keyReadiness: config.keyReadiness });
  // Issue 26: webhooks and back-channel logouts due now (left by a stopped node too) and then every few seconds;
  // services.close() stops it before the store (src/delivery/queue.ts).
  services.deliveries.start();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopHousekeeping();
    server.close(() => {
      // A failure to close the store is said, and the exit code says the shutdown was not clean.
      stopRotation()
        .then(() => metricsListener?.close())
        .then(() => services.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutting down failed');
            process.exit(1);
          },
        );
    });
    server.closeIdleConnections();
    // Requests still running after 10 s are cut off rather than holding the process forever.
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Expected failures (bad configuration, unreadable keys, store down) are one line without a stack trace.
  if (error instanceof ConfigError) console.error(`gatehouse: configuration error: ${error.message}`);
  else if (error instanceof GatehouseError) console.error(`gatehouse: ${error.message}`);
  else console.error('gatehouse: failed to start:', error);
  process.exit(1);
});
