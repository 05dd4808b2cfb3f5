// What a scrape returns: our registry (src/metrics/metrics.ts), the key gauges of the serving app's key ring, and
// prom-client's process metrics (CPU, memory, event loop lag, GC, handles), in the Prometheus text format. Who may
// scrape is decided here too, once for both listeners (the main one and METRICS_PORT's).
import { Registry } from './prom.js';
import { hashSecret, secretMatchesHash } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import { keyRegistry, type KeySchedule } from './key-gauges.js';
import { registry } from './metrics.js';

let processMetrics: Promise<Registry> | null = null;

/**
 * prom-client's default metrics, in a registry of their own, prefixed `gatehouse_` (gatehouse_process_cpu_seconds_total,
 * gatehouse_nodejs_eventloop_lag_seconds, …). Loaded and started by the first endpoint made, once per process: never
 * for the `idp` tool, never while metrics are off, and never twice (their collectors would be registered twice).
 */
export function processRegistry(): Promise<Registry> {
  processMetrics ??= import('prom-client/lib/defaultMetrics.js').then(({ default: collectDefaultMetrics }) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
    return registry;
  });
  return processMetrics;
}

/** Ours and the key gauges: the part `promtool check metrics` lints (prom-client's process metrics are not ours to fix). */
export function ownRegistry(keyRing: KeySchedule, clock: Clock): Registry {
  return Registry.merge([registry, keyRegistry(keyRing, clock)]);
}

/** Everything one endpoint serves. */
export async function scrapeRegistry(keyRing: KeySchedule, clock: Clock): Promise<Registry> {
  return Registry.merge([ownRegistry(keyRing, clock), await processRegistry()]);
}

export type ScrapeVerdict = 'allowed' | 'missing' | 'invalid';

/**
 * Who may scrape: with METRICS_TOKEN, exactly `Authorization: Bearer <token>` (RFC 6750 §2.1), compared in constant
 * time (both sides hashed to equal-length SHA-256 digests, then timingSafeEqual); without it, anyone who reaches
 * the listener (only METRICS_PORT's loopback one serves then).
 */
export function scrapeAccess(token: string | null): (authorization: string | undefined) => ScrapeVerdict {
  if (token === null) return () => 'allowed';
  const expected = hashSecret(token);
  return (authorization) => {
    if (authorization === undefined || authorization === '') return 'missing';
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    return match?.[1] !== undefined && secretMatchesHash(match[1], expected) ? 'allowed' : 'invalid';
  };
}
