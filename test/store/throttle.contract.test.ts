// Store contract: throttle counters (ThrottleRepository). The arithmetic is checked on its own in
// test/unit/throttle-counter.test.ts; here, that every engine applies it to a stored counter as one atomic step.
// Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { ThrottleRule, ThrottleVerdict } from '../../src/store/throttle-counter.js';
import { transferTable, type TransferRow } from '../../src/store/transfer/tables.js';
import { engines, freshStorePerTest, MINUTE, T0 } from './engines.js';

const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Five attempts a quarter of an hour, then a block doubling from a minute up to an hour; forgotten after a day. */
const BACKOFF: ThrottleRule = { limit: 5, windowMs: 15 * MINUTE, block: { kind: 'backoff', baseMs: MINUTE, maxMs: HOUR }, memoryMs: DAY };
/** A hundred attempts an hour. */
const HOURLY: ThrottleRule = { limit: 100, windowMs: HOUR, block: { kind: 'window' }, memoryMs: HOUR };

/** `n` attempts one after the other at `now`; returns their verdicts. */
async function attemptsInTurn(store: Store, key: string, rule: ThrottleRule, n: number, now: number): Promise<ThrottleVerdict[]> {
  const verdicts: ThrottleVerdict[] = [];
  for (let i = 0; i < n; i++) verdicts.push(await store.throttle.attempt(key, rule, now));
  return verdicts;
}

/** The attempt numbers of the allowed verdicts, in order, and the distinct retry times of the refused ones. */
function tally(verdicts: ThrottleVerdict[]): { allowed: number[]; retryAt: number[] } {
  const allowed = verdicts.flatMap((v) => (v.allowed ? [v.attempts] : [])).sort((a, b) => a - b);
  const retryAt = [...new Set(verdicts.flatMap((v) => (v.allowed ? [] : [v.retryAt])))];
  return { allowed, retryAt };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  describe('throttle counters (atomic counting)', () => {
    let store: Store;
    freshStorePerTest(engine, (opened) => {
      store = opened;
    });

    it('allows exactly five of twenty concurrent attempts on one key with a limit of five, each seeing the count the others left', async () => {
      const verdicts = await Promise.all(Array.from({ length: 20 }, () => store.throttle.attempt('account:ada', BACKOFF, T0)));
      expect(tally(verdicts)).toEqual({ allowed: [1, 2, 3, 4, 5], retryAt: [T0 + MINUTE] });
      expect(await store.throttle.peek('account:ada', T0)).toEqual({
        key: 'account:ada',
        attempts: 5,
        windowStartedAt: T0,
        blockedUntil: T0 + MINUTE,
        lastAttemptAt: T0,
        expiresAt: T0 + DAY,
      });
    });

    it('counts twenty concurrent attempts on a key that already has a counter one at a time, from the count it had', async () => {
      await attemptsInTurn(store, 'account:ada', BACKOFF, 2, T0);
      const verdicts = await Promise.all(Array.from({ length: 20 }, () => store.throttle.attempt('account:ada', BACKOFF, T0 + 1)));
      expect(tally(verdicts)).toEqual({ allowed: [3, 4, 5], retryAt: [T0 + 1 + MINUTE] });
    });

    it('blocks for a minute at the fifth attempt, then two at the sixth, four at the seventh … and never more than an hour', async () => {
      expect(tally(await attemptsInTurn(store, 'k', BACKOFF, 4, T0)).allowed).toEqual([1, 2, 3, 4]);
      let now = T0;
      const blocks: number[] = [];
      // Attempts 5 to 12, each made as soon as the block before it ends.
      for (let attempt = 5; attempt <= 12; attempt++) {
        expect(await store.throttle.attempt('k', BACKOFF, now)).toEqual({ allowed: true, attempts: attempt });
        const blockedUntil = (await store.throttle.peek('k', now))?.blockedUntil;
        if (blockedUntil == null) throw new Error(`attempt ${attempt} did not block the key`);
        // Refused up to the last millisecond of the block.
        expect(await store.throttle.attempt('k', BACKOFF, blockedUntil - 1)).toEqual({ allowed: false, retryAt: blockedUntil });
        blocks.push((blockedUntil - now) / MINUTE);
        now = blockedUntil;
      }
      expect(blocks).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    });

    it('changes nothing when it refuses an attempt on a blocked key', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 5, T0);
      const before = await store.throttle.peek('k', T0);
      expect(await store.throttle.attempt('k', BACKOFF, T0 + 30_000)).toEqual({ allowed: false, retryAt: T0 + MINUTE });
      expect(await store.throttle.peek('k', T0)).toEqual(before);
      // Once the block ends, the next attempt is the sixth: the refused one was not counted.
      expect(await store.throttle.attempt('k', BACKOFF, T0 + MINUTE)).toEqual({ allowed: true, attempts: 6 });
    });

    it('starts the window over when it ended below the limit', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 4, T0);
      expect(await store.throttle.attempt('k', BACKOFF, T0 + 15 * MINUTE)).toEqual({ allowed: true, attempts: 1 });
      expect(await store.throttle.peek('k', T0 + 15 * MINUTE)).toMatchObject({ attempts: 1, windowStartedAt: T0 + 15 * MINUTE, blockedUntil: null });
    });

    it('allows the hundredth attempt of an hour and blocks until the hour ends, refuses the next, and opens a fresh hour after', async () => {
      expect(tally(await attemptsInTurn(store, 'ip:203.0.113.7', HOURLY, 99, T0)).allowed).toHaveLength(99);
      expect(await store.throttle.attempt('ip:203.0.113.7', HOURLY, T0 + 30 * MINUTE)).toEqual({ allowed: true, attempts: 100 });
      expect(await store.throttle.attempt('ip:203.0.113.7', HOURLY, T0 + 59 * MINUTE)).toEqual({ allowed: false, retryAt: T0 + HOUR });
      expect(await store.throttle.attempt('ip:203.0.113.7', HOURLY, T0 + HOUR)).toEqual({ allowed: true, attempts: 1 });
      expect(await store.throttle.peek('ip:203.0.113.7', T0 + HOUR)).toEqual({
        key: 'ip:203.0.113.7',
        attempts: 1,
        windowStartedAt: T0 + HOUR,
        blockedUntil: null,
        lastAttemptAt: T0 + HOUR,
        expiresAt: T0 + 2 * HOUR,
      });
    });

    it('keeps keys apart: attempts, blocks and clearing on one key leave the others as they were', async () => {
      await attemptsInTurn(store, 'a', BACKOFF, 5, T0);
      await attemptsInTurn(store, 'b', BACKOFF, 2, T0);
      expect(await store.throttle.attempt('b', BACKOFF, T0)).toEqual({ allowed: true, attempts: 3 });
      expect(await store.throttle.attempt('c', BACKOFF, T0)).toEqual({ allowed: true, attempts: 1 });
      await store.throttle.clear('a');
      expect(await store.throttle.peek('b', T0)).toMatchObject({ attempts: 3 });
      expect(await store.throttle.peek('c', T0)).toMatchObject({ attempts: 1 });
    });
  });

  describe('throttle counters (taking attempts back)', () => {
    let store: Store;
    freshStorePerTest(engine, (opened) => {
      store = opened;
    });

    it('lowers the count by one when an attempt is refunded', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 3, T0);
      await store.throttle.refund('k', BACKOFF, T0 + 1);
      expect(await store.throttle.peek('k', T0 + 1)).toMatchObject({ attempts: 2, windowStartedAt: T0, blockedUntil: null });
    });

    it('lifts the block that the refunded attempt caused by reaching the limit', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 5, T0);
      await store.throttle.refund('k', BACKOFF, T0 + 1);
      expect(await store.throttle.peek('k', T0 + 1)).toMatchObject({ attempts: 4, blockedUntil: null });
      expect(await store.throttle.attempt('k', BACKOFF, T0 + 2)).toEqual({ allowed: true, attempts: 5 });
    });

    it('keeps a block when the attempts left still reach the limit', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 5, T0);
      expect(await store.throttle.attempt('k', BACKOFF, T0 + MINUTE)).toEqual({ allowed: true, attempts: 6 });
      await store.throttle.refund('k', BACKOFF, T0 + MINUTE + 1);
      expect(await store.throttle.peek('k', T0 + MINUTE + 1)).toMatchObject({ attempts: 5, blockedUntil: T0 + 3 * MINUTE });
      expect(await store.throttle.attempt('k', BACKOFF, T0 + MINUTE + 2)).toEqual({ allowed: false, retryAt: T0 + 3 * MINUTE });
    });

    it('forgets the counter when the only attempt is refunded, and refunding an unknown key does nothing', async () => {
      await store.throttle.attempt('k', BACKOFF, T0);
      await store.throttle.refund('k', BACKOFF, T0 + 1);
      expect(await store.throttle.peek('k', T0 + 1)).toBeNull();
      await store.throttle.refund('nobody', BACKOFF, T0 + 1);
      expect(await store.throttle.peek('nobody', T0 + 1)).toBeNull();
      expect(await store.throttle.deleteExpired(T0 + 2 * DAY)).toBe(0);
    });

    it('takes back exactly as many attempts as are refunded concurrently', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 5, T0);
      await Promise.all(Array.from({ length: 3 }, () => store.throttle.refund('k', BACKOFF, T0 + 1)));
      expect(await store.throttle.peek('k', T0 + 1)).toMatchObject({ attempts: 2, blockedUntil: null });
    });

    it('forgets a blocked key once it is cleared: the next attempt is the first', async () => {
      await attemptsInTurn(store, 'k', BACKOFF, 5, T0);
      await store.throttle.clear('k');
      expect(await store.throttle.peek('k', T0)).toBeNull();
      expect(await store.throttle.attempt('k', BACKOFF, T0 + 1)).toEqual({ allowed: true, attempts: 1 });
      await store.throttle.clear('never-seen');
    });
  });

  describe('throttle counters (reading and removing)', () => {
    let store: Store;
    freshStorePerTest(engine, (opened) => {
      store = opened;
    });

    it('peeks at a live counter without counting an attempt, and sees none once it expired', async () => {
      await store.throttle.attempt('k', HOURLY, T0);
      expect(await store.throttle.peek('k', T0 + 1)).toMatchObject({ attempts: 1 });
      expect(await store.throttle.peek('k', T0 + 1)).toMatchObject({ attempts: 1 });
      expect(await store.throttle.peek('k', T0 + HOUR)).toBeNull();
      expect(await store.throttle.peek('unknown', T0)).toBeNull();
    });

    it('removes only expired counters, from their expiry instant on, and counts them', async () => {
      await store.throttle.attempt('hourly', HOURLY, T0);
      await store.throttle.attempt('daily', BACKOFF, T0);
      expect(await store.throttle.deleteExpired(T0 + HOUR)).toBe(1);
      // Read at a time both were live: only the expired one is gone.
      expect(await store.throttle.peek('hourly', T0)).toBeNull();
      expect(await store.throttle.peek('daily', T0)).not.toBeNull();
      expect(await store.throttle.deleteExpired(T0 + HOUR)).toBe(0);
    });
  });

  describe('throttle counters shared by two nodes', () => {
    it('counts concurrent attempts made through two stores on one database (two nodes, or the idp tool beside a server) as one counter', async () => {
      const opened = await engine.open();
      try {
        const other = await opened.second();
        try {
          const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? opened.store : other).throttle.attempt('shared', BACKOFF, T0)));
          expect(tally(verdicts)).toEqual({ allowed: [1, 2, 3, 4, 5], retryAt: [T0 + MINUTE] });
        } finally {
          await other.close();
        }
      } finally {
        await opened.destroy();
      }
    });

    it('moves counters, blocks included, through export and import', async () => {
      const [source, target] = [await engine.open(), await engine.open()];
      try {
        await attemptsInTurn(source.store, 'blocked', BACKOFF, 5, T0);
        await source.store.throttle.attempt('open', HOURLY, T0);
        const table = transferTable('throttle_counters');
        if (!table) throw new Error('throttle_counters is not a transfer table');
        const rows = await source.store.transfer.snapshot(async (reader) => {
          const read: TransferRow[] = [];
          for await (const batch of reader.rows(table, 100)) read.push(...batch);
          return read;
        });
        expect(rows.map((row) => [row.key, row.blocked_until])).toEqual([
          ['blocked', T0 + MINUTE],
          ['open', null],
        ]);
        await target.store.transfer.load(
          (async function* () {
            yield { table, rows };
          })(),
        );
        expect(await target.store.throttle.peek('blocked', T0)).toEqual(await source.store.throttle.peek('blocked', T0));
        expect(await target.store.throttle.attempt('blocked', BACKOFF, T0 + 1)).toEqual({ allowed: false, retryAt: T0 + MINUTE });
      } finally {
        await source.destroy();
        await target.destroy();
      }
    });
  });
});
