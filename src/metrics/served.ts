// Whether this server serves its metrics (METRICS_TOKEN or METRICS_PORT, issue 26). Without either, nothing reads
// them, so the per-request and per-store-call measurements are not made at all (issue 27: measured on the refresh
// grant, the Proxy around every repository call and the histogram per request were CPU for nobody). The cheap
// counters elsewhere stay: a few additions each.
import type { Config } from '../config.js';

export function metricsServed(config: Pick<Config, 'metrics'>): boolean {
  return config.metrics.token !== null || config.metrics.port !== null;
}
