// KEY_ACTIVATION_REQUIRES_READY (issue 26, src/signing/activation-hold.ts) with a fake clock, real key files and a
// real SQLite store: an automatic rotation's key waits for the applications known to fetch the JWKS until they
// have fetched it or KEY_READY_DEADLINE passes; a key rotated by hand never waits. Shared helpers: ../helpers/keys.ts.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { rotateKey } from '../../src/manage/keys.js';
import { checkActivationHold } from '../../src/signing/activation-hold.js';
import { rotateIfDue, startAutoRotation } from '../../src/signing/auto-rotation.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import type { KeyPolicy } from '../../src/signing/key-schedule.js';
import type { AuditEventRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { clock, keysDir, now, root, setNow, T0, useKeysDir } from '../helpers/keys.js';
import { newClient } from '../store/engines.js';

useKeysDir();

const SECOND = 1000;
const policy: KeyPolicy = { prepublishMs: 120 * SECOND, rotationIntervalMs: 600 * SECOND, retirementDelayMs: 180 * SECOND };
/** startAutoRotation's default period for this policy: a tenth of KEY_PREPUBLISH. */
const CHECK = 12 * SECOND;
const at = (seconds: number) => T0 + seconds * SECOND;
const iso = (seconds: number) => new Date(at(seconds)).toISOString();
const RP = { address: '10.0.0.1', userAgent: 'rp/1' };

describe('KEY_ACTIVATION_REQUIRES_READY: holding an automatic activation', () => {
  let store: Store;
  let ring: KeyRing;
  let first: string;
  let keyReadiness: Config['keyReadiness'];

  const check = (seconds: number, target = ring) => {
    setNow(at(seconds));
    return checkActivationHold({ keyRing: target, store, clock, keyReadiness, checkIntervalMs: CHECK });
  };
  const events = (type: string): Promise<AuditEventRecord[]> => store.audit.list({ limit: 20, filter: { type } });
  const activation = async (kid: string) => (await ring.keyStore.list()).find((key) => key.kid === kid)?.activatedAt;
  /** The signing key a ring computes at `seconds` (the schedule is a function of time). */
  const signingAt = (seconds: number, target = ring) => {
    setNow(at(seconds));
    return target.signingKey.kid;
  };

  /** Automatic rotation at T0 + 480 s: the new key activates at T0 + 600 s. */
  async function scheduled(): Promise<string> {
    setNow(at(480));
    const key = await rotateIfDue({ keyRing: ring, store, clock, policy });
    expect(key?.activatedAt).toBe(at(600));
    return key?.kid ?? '';
  }

  beforeEach(async () => {
    store = openSqliteStore({ file: path.join(root, 'idp.sqlite'), synchronous: 'NORMAL' });
    ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, policy.retirementDelayMs);
    first = ring.signingKey.kid;
    keyReadiness = { required: true, deadlineSeconds: 3600 };
    // An application that authenticates and fetched the JWKS before the next key exists.
    await store.clients.create(newClient('rp', 'Relying party'), T0);
    await store.clientSightings.saw('rp', RP.address, RP.userAgent, at(10));
    await store.clientSightings.jwksFetched(RP.address, RP.userAgent, at(10));
  });
  afterEach(async () => {
    await store.close();
  });

  it('holds the activation while an application has not fetched the key, and releases it once it has', async () => {
    const kid = await scheduled();
    // More than two check intervals before the activation: nothing decided yet.
    expect(await check(570)).toEqual({ kind: 'none' });
    expect(await check(580)).toEqual({ kind: 'held', kid, activatesAt: at(616), waiting: ['rp'] });
    expect(await activation(kid)).toBe(at(616));
    const [held] = await events('key.activation_held');
    expect(held).toMatchObject({
      actor: 'system',
      subject: kid,
      details: { scheduled_at: iso(600), previous_activates_at: iso(600), activates_at: iso(616), deadline: iso(4200), not_ready: ['rp'], not_ready_count: 1 },
    });
    // Past the time first scheduled, the old key still signs.
    expect(signingAt(600)).toBe(first);
    expect(await check(592)).toMatchObject({ kind: 'held', activatesAt: at(628) });

    await store.clientSightings.jwksFetched(RP.address, RP.userAgent, at(595));
    expect(await check(604)).toEqual({ kind: 'released', kid, activatesAt: at(628), reason: 'ready', waiting: [] });
    // Released once: the next check records nothing more.
    expect(await check(616)).toEqual({ kind: 'none' });
    expect(await events('key.activation_released')).toHaveLength(1);
    expect((await events('key.activation_released'))[0]).toMatchObject({ subject: kid, details: { reason: 'ready', scheduled_at: iso(600), activates_at: iso(628), not_ready: [] } });
    expect(await events('key.activation_held')).toHaveLength(2);
    expect(signingAt(627)).toBe(first);
    expect(signingAt(628)).toBe(kid);
  });

  it('activates at the deadline (KEY_READY_DEADLINE past the scheduled time) whoever is still waiting', async () => {
    keyReadiness = { required: true, deadlineSeconds: 30 };
    const kid = await scheduled();
    expect(await check(580)).toMatchObject({ kind: 'held', activatesAt: at(616) });
    expect(await check(592)).toMatchObject({ kind: 'held', activatesAt: at(628) });
    // The deadline caps the move, and ends the hold.
    expect(await check(604)).toEqual({ kind: 'released', kid, activatesAt: at(630), reason: 'deadline', waiting: ['rp'] });
    expect(await check(616)).toEqual({ kind: 'none' });
    expect(await activation(kid)).toBe(at(630));
    expect((await events('key.activation_released')).map((e) => e.details.reason)).toEqual(['deadline']);
    expect(signingAt(630)).toBe(kid);
  });

  it('with a deadline of 0, never moves the activation', async () => {
    keyReadiness = { required: true, deadlineSeconds: 0 };
    const kid = await scheduled();
    expect(await check(580)).toEqual({ kind: 'none' });
    expect(await activation(kid)).toBe(at(600));
    expect(await events('key.activation_held')).toEqual([]);
  });

  it('waits for nobody when off, when every application is ready, or for applications never seen fetching the JWKS', async () => {
    const kid = await scheduled();
    keyReadiness = { required: false, deadlineSeconds: 3600 };
    expect(await check(590)).toEqual({ kind: 'none' });
    keyReadiness = { required: true, deadlineSeconds: 3600 };
    // A machine client that never fetches the JWKS, and an application that fetched the new key.
    await store.clients.create(newClient('machine', 'Machine'), T0);
    await store.clientSightings.saw('machine', '10.0.0.9', 'cron/1', at(500));
    await store.clientSightings.jwksFetched(RP.address, RP.userAgent, at(490));
    expect(await check(590)).toEqual({ kind: 'none' });
    expect(await activation(kid)).toBe(at(600));
    expect(await events('key.activation_held')).toEqual([]);
  });

  it('never holds a key rotated by hand (`idp keys rotate`, the admin screen)', async () => {
    setNow(at(100));
    const rotation = await rotateKey({ store, clock, passwordMinLength: 8, actor: 'cli', keys: ring.keyStore, policy }, { immediately: false });
    await ring.reload();
    expect(await check(215)).toEqual({ kind: 'none' });
    expect(await activation(rotation.key.key.kid)).toBe(at(220));
  });

  it('is moved once an interval across nodes: another node sees the new time at its next check and leaves it', async () => {
    const kid = await scheduled();
    const other = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, policy.retirementDelayMs);
    expect(await check(580)).toMatchObject({ kind: 'held', activatesAt: at(616) });
    // The other node's check re-reads the keys first (rotateIfDue), as every periodic check does.
    setNow(at(585));
    await rotateIfDue({ keyRing: other, store, clock, policy });
    expect(await check(585, other)).toEqual({ kind: 'none' });
    expect(await activation(kid)).toBe(at(616));
    expect(signingAt(600, other)).toBe(first);
  });

  it('runs after each periodic rotation check (startAutoRotation with keyReadiness)', async () => {
    const kid = await scheduled();
    setNow(at(580));
    // The first check runs at once; stopping waits for it.
    await startAutoRotation({ keyRing: ring, store, clock, policy, keyReadiness }, CHECK)();
    expect(await activation(kid)).toBe(at(616));
    expect(await events('key.activation_held')).toHaveLength(1);
    expect(now).toBe(at(580));
  });
});
