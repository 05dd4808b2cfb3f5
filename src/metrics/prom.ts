// prom-client's metric classes, loaded without its index: the index also loads the default-metrics collectors,
// the Summary's t-digest and the Pushgateway, four times the load time of what we use, which every server start
// and every `idp` command (its password hashing is measured too) would pay for. The version is pinned
// (package.json); the types are the package's own (prom-client-lib.d.ts). The process metrics' collectors are
// loaded only when an endpoint serves them (processRegistry in exposition.ts).
import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import Histogram from 'prom-client/lib/histogram.js';
import Registry from 'prom-client/lib/registry.js';

export { Counter, Gauge, Histogram, Registry };
