// Automatic rotation (rotateIfDue, startAutoRotation) with a fake clock: a key is scheduled every
// KEY_ROTATION_INTERVAL, published KEY_PREPUBLISH before it signs. Shared helpers: ../helpers/keys.ts.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rotateIfDue, startAutoRotation } from '../../src/signing/auto-rotation.js';
import { DatabaseKeyStore } from '../../src/signing/database-key-store.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import type { KeyPolicy } from '../../src/signing/key-schedule.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { clock, files, jwksOf, keysDir, now, root, setNow, T0, useKeysDir } from '../helpers/keys.js';
import { engines, freshStorePerTest } from '../store/engines.js';

useKeysDir();

const SECOND = 1000;
const policy: KeyPolicy = { prepublishMs: 120 * SECOND, rotationIntervalMs: 600 * SECOND, retirementDelayMs: 180 * SECOND };

describe('automatic rotation (KEY_ROTATION_INTERVAL, KEY_PREPUBLISH)', () => {
  let store: Store;
  let ring: KeyRing;
  const deps = () => ({ keyRing: ring, store, clock, policy });

  beforeEach(async () => {
    store = openSqliteStore({ file: path.join(root, 'idp.sqlite'), synchronous: 'NORMAL' });
    ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, policy.retirementDelayMs);
  });
  afterEach(async () => {
    await store.close();
  });

  it('schedules nothing while the signing key is younger than interval − prepublish', async () => {
    const before = files();
    setNow(T0 + 479 * SECOND);
    expect(await rotateIfDue(deps())).toBeNull();
    expect(files()).toEqual(before);
  });

  it('then publishes a key that activates one interval after the previous one, and audits it', async () => {
    const first = ring.signingKey.kid;
    setNow(T0 + 480 * SECOND);
    const key = await rotateIfDue(deps());
    expect(key).toMatchObject({ createdAt: now, activatedAt: T0 + 600 * SECOND });
    expect(jwksOf(ring).keys.map((k) => k.kid)).toEqual([key?.kid, first]);
    expect(ring.signingKey.kid).toBe(first);
    const [event] = await store.audit.list({ limit: 1 });
    expect(event).toMatchObject({
      type: 'key.rotation_scheduled',
      actor: 'system',
      subject: key?.kid,
      details: { activates_at: new Date(T0 + 600 * SECOND).toISOString(), previous_kid: first, automatic: true },
    });
  });

  it('schedules only one key while it is pending', async () => {
    setNow(T0 + 480 * SECOND);
    expect(await rotateIfDue(deps())).not.toBeNull();
    setNow(T0 + 590 * SECOND);
    expect(await rotateIfDue(deps())).toBeNull();
    expect(ring.schedule.keys).toHaveLength(2);
  });

  it('sees a key the `idp` tool scheduled before the directory watch reports it', async () => {
    setNow(T0 + 400 * SECOND);
    await new FileKeyStore(keysDir, 2048).rotate(now, now + policy.prepublishMs);
    setNow(T0 + 480 * SECOND);
    expect(await rotateIfDue(deps())).toBeNull();
    expect(ring.schedule.keys).toHaveLength(2);
  });

  it('rotates every interval over several intervals, and the old keys retire', async () => {
    const activations: number[] = [];
    for (let t = 0; t <= 2000 * SECOND; t += 10 * SECOND) {
      setNow(T0 + t);
      const key = await rotateIfDue(deps());
      if (key) activations.push(key.activatedAt - T0);
    }
    expect(activations).toEqual([600, 1200, 1800].map((s) => s * SECOND));
    expect(ring.schedule.keys.map((t) => t.state)).toEqual(['active', 'retired', 'retired', 'retired']);
  });

  it('checks at start and on its timer, and no more once stopped', async () => {
    setNow(T0 + 480 * SECOND);
    const stop = startAutoRotation(deps(), 20);
    for (let i = 0; i < 100 && ring.schedule.keys.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ring.schedule.keys).toHaveLength(2);
    setNow(T0 + 1080 * SECOND);
    for (let i = 0; i < 100 && ring.schedule.keys.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ring.schedule.keys).toHaveLength(3);
    await stop();
    setNow(T0 + 1680 * SECOND);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ring.schedule.keys).toHaveLength(3);
  });

  it('its stop function resolves only once a check in progress has finished, so the store can close after it', async () => {
    // The check at start is held inside its reload until released: it is in progress when stop() is called.
    const reload = ring.reload.bind(ring);
    let entered!: () => void;
    const inProgress = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    ring.reload = async () => {
      entered();
      await held;
      return reload();
    };
    setNow(T0 + 480 * SECOND);
    const stop = startAutoRotation(deps(), 60_000);
    await inProgress;
    let stopped = false;
    const stopping = stop().then(() => {
      stopped = true;
    });
    // Every pending callback has run: stop() is still waiting for the check.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    // The check finished before stop() resolved: its key is scheduled and audited.
    expect(ring.schedule.keys).toHaveLength(2);
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'key.rotation_scheduled' });
  });
});

describe.each(engines.map((engine) => [engine.name, engine] as const))('automatic rotation on several nodes sharing keys in the store on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  it('schedules one key when every node finds the rotation due at the same moment', async () => {
    const kek = Buffer.alloc(32, 5);
    const rings = await Promise.all([1, 2, 3].map(() => KeyRing.open(new DatabaseKeyStore(store, kek, 2048, 15_000), clock, policy.retirementDelayMs)));
    setNow(T0 + 480 * SECOND);
    const scheduled = await Promise.all(rings.map((keyRing) => rotateIfDue({ keyRing, store, clock, policy })));
    expect(scheduled.filter((key) => key !== null)).toHaveLength(1);
    expect(await store.signingKeys.list()).toHaveLength(2);
    // Every node serves the one scheduled key.
    const kid = scheduled.find((key) => key !== null)?.kid;
    for (const keyRing of rings) expect(jwksOf(keyRing).keys.map((k) => k.kid)).toContain(kid);
    expect((await store.audit.list({ limit: 10 })).filter((event) => event.type === 'key.rotation_scheduled')).toHaveLength(1);
  });
});
