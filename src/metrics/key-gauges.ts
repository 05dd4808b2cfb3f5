// The signing keys' gauges, read off the key ring's schedule at each scrape (nothing to keep up to date between
// scrapes): how long until the next pending key activates, and how old the oldest key in the JWKS is. One registry
// per served endpoint, since each has its own key ring (tests run several apps in one process).
import { Gauge, Registry } from './prom.js';
import type { Clock } from '../clock.js';
import type { KeyFacts, Schedule } from '../signing/key-schedule.js';

/** What the gauges read: a key ring's schedule (KeyRing.schedule), only its keys' states and times. */
export interface KeySchedule {
  readonly schedule: Pick<Schedule<KeyFacts>, 'keys' | 'published'>;
}

export function keyRegistry(keyRing: KeySchedule, clock: Clock): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'gatehouse_signing_key_next_activation_seconds',
    help: 'Seconds until the next pending signing key activates (starts signing); absent while no key is pending.',
    registers: [registry],
    collect() {
      const now = clock.now();
      const pending = keyRing.schedule.keys.filter((timeline) => timeline.state === 'pending').map((timeline) => timeline.key.activatedAt);
      // Absent rather than 0 or NaN: "no rotation scheduled" must not read as "a key activates now".
      if (pending.length === 0) this.remove();
      else this.set((Math.min(...pending) - now) / 1000);
    },
  });
  new Gauge({
    name: 'gatehouse_signing_key_oldest_published_age_seconds',
    help: 'Age in seconds of the oldest key in the JWKS (pending, active or published, not yet retired).',
    registers: [registry],
    collect() {
      const now = clock.now();
      const published = keyRing.schedule.published.map((key) => key.createdAt);
      if (published.length === 0) this.remove();
      else this.set(Math.max(0, now - Math.min(...published)) / 1000);
    },
  });
  return registry;
}
