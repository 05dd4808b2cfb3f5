// Automatic rotation's less travelled paths: how often startAutoRotation checks by default (a tenth of
// KEY_PREPUBLISH, at least a second, at most an hour), one check at a time, a failed check logged and retried,
// and the log line of a scheduled key. The check period runs on fake interval timers; the key files are real.
// Shared helpers: ../helpers/keys.ts.
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { rotateIfDue, startAutoRotation } from '../../src/signing/auto-rotation.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import type { KeyPolicy } from '../../src/signing/key-schedule.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { clock, keysDir, pemFile, root, setNow, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const policy: KeyPolicy = { prepublishMs: 120 * SECOND, rotationIntervalMs: 600 * SECOND, retirementDelayMs: 180 * SECOND };

describe('startAutoRotation and rotateIfDue: edge cases', () => {
  let store: Store;
  let ring: KeyRing;
  /** How many checks started (each begins with a reload), and whether the last one has finished. */
  let checks: number;
  let idle: boolean;
  let logs: Record<string, unknown>[];
  const logger = () =>
    createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    );

  beforeEach(async () => {
    store = openSqliteStore({ file: path.join(root, 'idp.sqlite'), synchronous: 'NORMAL' });
    ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, policy.retirementDelayMs);
    checks = 0;
    idle = true;
    logs = [];
    const reload = ring.reload.bind(ring);
    ring.reload = async () => {
      checks++;
      idle = false;
      try {
        await reload();
      } finally {
        idle = true;
      }
    };
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });

  /** Lets a check that started finish (real file reads), so that the next tick may start another. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 100 && !idle; i++) await sleep(10);
    await sleep(20);
  }

  it.each([
    ['a tenth of KEY_PREPUBLISH', 120 * SECOND, 12 * SECOND],
    ['at least a second', 5 * SECOND, SECOND],
    ['at most an hour', 86_400 * SECOND, HOUR],
  ])('checks at start, then by default every %s', async (_what, prepublishMs, period) => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    // Nothing is due at T0: each check is a reload and nothing more.
    const stop = startAutoRotation({ keyRing: ring, store, clock, policy: { ...policy, prepublishMs, rotationIntervalMs: 90 * 86_400 * SECOND } });
    try {
      expect(checks).toBe(1);
      await settle();
      vi.advanceTimersByTime(period - 1);
      expect(checks).toBe(1);
      vi.advanceTimersByTime(1);
      expect(checks).toBe(2);
      await settle();
    } finally {
      await stop();
    }
  });

  it('checks no more once stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const stop = startAutoRotation({ keyRing: ring, store, clock, policy }, 1000);
    await settle();
    await stop();
    vi.advanceTimersByTime(10_000);
    expect(checks).toBe(1);
  });

  it('schedules a replacement, and audits no previous key, when no key can sign (the last one revoked after its predecessor retired)', async () => {
    // A signs from T0; B takes over at T0 + 1 h and is revoked a second later (by hand: `idp keys revoke` would
    // have put a replacement in); A retires by the schedule, and the check's first reload stores that retirement.
    const [first] = ring.schedule.keys.map((t) => t.key.kid);
    setNow(T0 + HOUR);
    const replaced = await new FileKeyStore(keysDir, 2048).rotate(T0 + HOUR);
    await new FileKeyStore(keysDir, 2048).update(replaced.kid, { revokedAt: T0 + HOUR + SECOND });
    setNow(T0 + HOUR + policy.retirementDelayMs + SECOND);
    const activatesAt = T0 + HOUR + policy.retirementDelayMs + SECOND + policy.prepublishMs;
    // The key set is then one nobody can sign with until the replacement activates: the reload after scheduling
    // it says so, naming the way out, once the replacement is on record.
    await expect(rotateIfDue({ keyRing: ring, store, clock, policy })).rejects.toThrow(/can sign now.*idp keys rotate --now/);
    const keys = await new FileKeyStore(keysDir, 2048).list();
    const key = keys.find((k) => k.kid !== first && k.kid !== replaced.kid);
    expect(key).toMatchObject({ activatedAt: activatesAt });
    expect(keys.find((k) => k.kid === first)?.retiredAt).toBe(T0 + HOUR + policy.retirementDelayMs);
    const [event] = await store.audit.list({ limit: 1 });
    expect(event).toMatchObject({ type: 'key.rotation_scheduled', subject: key?.kid, details: { previous_kid: null, automatic: true } });
    setNow(activatesAt);
    await ring.reload();
    expect(ring.schedule.keys.map((t) => [t.key.kid, t.state])).toEqual([
      [key?.kid, 'active'],
      [replaced.kid, 'revoked'],
      [first, 'retired'],
    ]);
  });

  it('starts no check while one is in progress', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reload = ring.reload.bind(ring);
    ring.reload = async () => {
      await held;
      return reload();
    };
    const stop = startAutoRotation({ keyRing: ring, store, clock, policy }, 1000);
    expect(checks).toBe(0);
    vi.advanceTimersByTime(5000);
    release();
    await stop();
    expect(checks).toBe(1);
  });

  it('logs a failed check as an error saying why, and checks again at the next tick', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    writeFileSync(pemFile(ring.signingKey.kid), 'garbage');
    const stop = startAutoRotation({ keyRing: ring, store, clock, policy, logger: logger() }, 1000);
    try {
      await settle();
      const errors = logs.filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toContain('automatic key rotation failed');
      expect((errors[0]?.err as { type?: string; message?: string } | undefined)?.message).toContain(pemFile(ring.signingKey.kid));
      vi.advanceTimersByTime(1000);
      expect(checks).toBe(2);
      await settle();
    } finally {
      await stop();
    }
  });

  it('swallows a failed check when there is no logger: its stop function still resolves', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const reload = ring.reload.bind(ring);
    ring.reload = async () => {
      await held;
      return reload();
    };
    writeFileSync(pemFile(ring.signingKey.kid), 'garbage');
    const stop = startAutoRotation({ keyRing: ring, store, clock, policy }, 60_000);
    // The check is in progress when stop() is called, and fails once released.
    const stopping = stop();
    release();
    await expect(stopping).resolves.toBeUndefined();
  });

  it('logs the key it scheduled and when it activates', async () => {
    setNow(T0 + 480 * SECOND);
    const key = await rotateIfDue({ keyRing: ring, store, clock, policy, logger: logger() });
    await sleep(10);
    expect(logs.filter((line) => line.level === 30)).toEqual([
      expect.objectContaining({ kid: key?.kid, activatesAt: new Date(T0 + 600 * SECOND).toISOString(), msg: 'scheduled a new signing key' }),
    ]);
  });
});
