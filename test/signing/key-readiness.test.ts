// Key rotation readiness (issue 26) below HTTP, on a real SQLite store with a fake clock: which applications are
// ready for the pending key (src/signing/key-readiness.ts), and how the recorder turns client authentications
// and JWKS fetches into few, ordered writes that never fail a request (src/signing/client-sightings.ts).
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/logger.js';
import { ClientSightings, JWKS_DEBOUNCE_MS, SAW_DEBOUNCE_MS } from '../../src/signing/client-sightings.js';
import { ACTIVE_CLIENT_WINDOW_MS, notReadyClients, readiness, waitingClients } from '../../src/signing/key-readiness.js';
import { computeSchedule, type KeyFacts } from '../../src/signing/key-schedule.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newClient } from '../store/engines.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

/** The signing key since T0 − 10 days, and a key published at T0 that activates a day later. */
const ACTIVE: KeyFacts = { kid: 'old', createdAt: T0 - 10 * DAY, activatedAt: T0 - 10 * DAY, retiredAt: null, revokedAt: null };
const PENDING: KeyFacts = { kid: 'new', createdAt: T0, activatedAt: T0 + DAY, retiredAt: null, revokedAt: null };
const scheduleAt = (now: number, keys: KeyFacts[] = [PENDING, ACTIVE]) => ({ schedule: computeSchedule(keys, now, DAY) });

describe('key rotation readiness', () => {
  let store: Store;
  let file: string;
  let remove: () => void;

  beforeEach(async () => {
    let dir: string;
    ({ dir, remove } = tempDir());
    file = path.join(dir, 'idp.sqlite');
    store = openSqliteStore({ file, synchronous: 'NORMAL' });
    for (const [id, name] of [
      ['a', 'Accounts'],
      ['b', 'Billing'],
      ['c', 'Cron job'],
      ['d', 'Dormant'],
    ]) {
      await store.clients.create(newClient(id as string, name as string), T0 - 40 * DAY);
    }
    await store.clients.create(newClient('spa', 'Single page', { clientType: 'public', secretHash: null, tokenEndpointAuthMethod: 'none' }), T0 - 40 * DAY);
  });
  afterEach(async () => {
    await store.close();
    remove();
  });

  describe('readiness for the pending key', () => {
    beforeEach(async () => {
      const at = (address: string, ua = 'app/1') => ({ address, ua });
      const origins = { a: at('10.0.0.1'), b: at('10.0.0.2'), c: at('10.0.0.3'), d: at('10.0.0.4'), spa: at('10.0.0.5') };
      for (const [id, origin] of Object.entries(origins)) await store.clientSightings.saw(id, origin.address, origin.ua, id === 'd' ? T0 - 31 * DAY : T0 - DAY);
      // Accounts fetched the JWKS after the key was published; Billing only before; Cron job never.
      await store.clientSightings.jwksFetched('10.0.0.1', 'app/1', T0 - DAY);
      await store.clientSightings.jwksFetched('10.0.0.1', 'app/1', T0 + MINUTE);
      await store.clientSightings.jwksFetched('10.0.0.2', 'app/1', T0 - MINUTE);
      await store.clientSightings.jwksFetched('10.0.0.4', 'app/1', T0 + MINUTE);
    });

    it('tells ready, waiting and unknown clients apart, waiting first, and leaves out inactive and public ones', async () => {
      const report = await readiness(store, scheduleAt(T0 + 2 * MINUTE), T0 + 2 * MINUTE);
      expect(report.pendingKey).toEqual({ kid: 'new', createdAt: T0, activatedAt: T0 + DAY });
      expect(report.clients).toEqual([
        { clientId: 'b', name: 'Billing', lastSeenAt: T0 - DAY, lastJwksFetchAt: T0 - MINUTE, ready: false, state: 'waiting' },
        { clientId: 'c', name: 'Cron job', lastSeenAt: T0 - DAY, lastJwksFetchAt: null, ready: false, state: 'unknown' },
        { clientId: 'a', name: 'Accounts', lastSeenAt: T0 - DAY, lastJwksFetchAt: T0 + MINUTE, ready: true, state: 'ready' },
      ]);
      // An activation waits only for the clients known to fetch the JWKS; `idp keys rotate` warns about all the others.
      expect(waitingClients(report).map((c) => c.clientId)).toEqual(['b']);
      expect(notReadyClients(report).map((c) => c.clientId)).toEqual(['b', 'c']);
    });

    it('counts a client active for 30 days after its last sighting', async () => {
      const later = T0 - DAY + ACTIVE_CLIENT_WINDOW_MS;
      // (The schedule as of T0: only the window moves.)
      expect((await readiness(store, scheduleAt(T0), later)).clients).toHaveLength(3);
      expect((await readiness(store, scheduleAt(T0), later + 1)).clients).toEqual([]);
    });

    it('judges nothing when no key is pending', async () => {
      expect(await readiness(store, scheduleAt(T0 + 2 * DAY), T0 + 2 * DAY)).toEqual({ pendingKey: null, clients: [] });
    });

    it('judges a key named by its kid while it is pending or signs, the first pending key otherwise', async () => {
      const later: KeyFacts = { ...PENDING, kid: 'later', activatedAt: T0 + 2 * DAY };
      const keys = [later, PENDING, ACTIVE];
      expect((await readiness(store, scheduleAt(T0, keys), T0)).pendingKey?.kid).toBe('new');
      expect((await readiness(store, scheduleAt(T0, keys), T0, 'later')).pendingKey?.kid).toBe('later');
      // `idp keys rotate --now`: the new key signs at once, and nobody has fetched it yet.
      const now: KeyFacts = { ...PENDING, activatedAt: T0 };
      const report = await readiness(store, scheduleAt(T0, [now, ACTIVE]), T0, 'new');
      expect(report.pendingKey).toEqual({ kid: 'new', createdAt: T0, activatedAt: T0 });
      expect((await readiness(store, scheduleAt(T0, [now, ACTIVE]), T0, 'old')).pendingKey).toBeNull();
      expect((await readiness(store, scheduleAt(T0, keys), T0, 'unknown-kid')).pendingKey).toBeNull();
    });

    it('leaves out a client deleted since it was seen', async () => {
      await store.clients.delete('b');
      expect((await readiness(store, scheduleAt(T0), T0)).clients.map((c) => c.clientId)).toEqual(['c', 'a']);
    });
  });

  describe('the recorder (ClientSightings)', () => {
    let now: number;
    let logs: Record<string, unknown>[];
    let logger: Logger;
    let sightings: ClientSightings;
    const summary = async () => {
      await sightings.settled();
      return store.clientSightings.summary(0);
    };

    beforeEach(() => {
      now = T0;
      logs = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      logger = createLogger('warn', sink);
      sightings = new ClientSightings({ store, clock: { now: () => now }, logger });
    });

    it('writes a client at an origin once per five minutes, and a new origin at once', async () => {
      sightings.saw('a', '10.0.0.1', 'app/1');
      now += SAW_DEBOUNCE_MS - 1;
      sightings.saw('a', '10.0.0.1', 'app/1');
      expect(await summary()).toEqual([{ clientId: 'a', lastSeenAt: T0, lastJwksFetchAt: null }]);
      sightings.saw('a', '10.0.0.1', 'app/2');
      expect(await summary()).toEqual([{ clientId: 'a', lastSeenAt: now, lastJwksFetchAt: null }]);
      now += 1;
      sightings.saw('a', '10.0.0.1', 'app/1');
      expect(await summary()).toEqual([{ clientId: 'a', lastSeenAt: now, lastJwksFetchAt: null }]);
    });

    it('writes an origin’s JWKS fetches once a minute, but at once when the key set changed', async () => {
      sightings.saw('a', '10.0.0.1', 'app/1');
      sightings.jwksFetched('10.0.0.1', 'app/1', '"set-1"');
      now += JWKS_DEBOUNCE_MS - 1;
      sightings.jwksFetched('10.0.0.1', 'app/1', '"set-1"');
      expect((await summary())[0]?.lastJwksFetchAt).toBe(T0);
      sightings.jwksFetched('10.0.0.1', 'app/1', '"set-2"');
      expect((await summary())[0]?.lastJwksFetchAt).toBe(now);
      const changed = now;
      now += JWKS_DEBOUNCE_MS - 1;
      sightings.jwksFetched('10.0.0.1', 'app/1', '"set-2"');
      expect((await summary())[0]?.lastJwksFetchAt).toBe(changed);
      now += 1;
      sightings.jwksFetched('10.0.0.1', 'app/1', '"set-2"');
      expect((await summary())[0]?.lastJwksFetchAt).toBe(now);
    });

    it('attributes a JWKS fetch seen before the client’s first authentication from there (a key set loaded at start)', async () => {
      sightings.jwksFetched('10.0.0.1', 'app/1', '"set-1"');
      now += MINUTE;
      sightings.saw('a', '10.0.0.1', 'app/1');
      expect(await summary()).toEqual([{ clientId: 'a', lastSeenAt: T0 + MINUTE, lastJwksFetchAt: T0 }]);
    });

    it('keeps the first 256 characters of a User-Agent, takes a missing one as empty, and ignores a request without an address', async () => {
      const long = 'x'.repeat(300);
      sightings.saw('a', '10.0.0.1', long);
      sightings.saw('b', '10.0.0.2', undefined);
      sightings.saw('c', undefined, 'app/1');
      await sightings.settled();
      expect(await store.clientSightings.jwksFetched('10.0.0.1', 'x'.repeat(256), T0 + 1)).toBe(1);
      expect(await store.clientSightings.jwksFetched('10.0.0.2', '', T0 + 1)).toBe(1);
      expect((await summary()).map((s) => s.clientId)).toEqual(['a', 'b']);
    });

    it('never throws to the request: a failed write is logged, and the writes after it still go', async () => {
      // A store of its own, closed under the recorder (the server shutting down).
      const closing = openSqliteStore({ file, synchronous: 'NORMAL' });
      const recorder = new ClientSightings({ store: closing, clock: { now: () => now }, logger });
      await closing.close();
      expect(() => recorder.saw('a', '10.0.0.1', 'app/1')).not.toThrow();
      expect(() => recorder.jwksFetched('10.0.0.1', 'app/1', '"set-1"')).not.toThrow();
      await recorder.settled();
      expect(logs.filter((line) => line.msg === 'client sightings: a write failed (key rotation readiness is best effort)')).toHaveLength(2);
      expect(await summary()).toEqual([]);
    });
  });
});
