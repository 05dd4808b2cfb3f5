// FileKeyStore facts after creation: revocation and brought-forward activations (update), listing without
// writing, and the metadata files of earlier versions (a `state` instead of facts). Shared helpers: ../helpers/keys.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { computeSchedule } from '../../src/signing/key-schedule.js';
import type { SigningKey } from '../../src/signing/key-store.js';
import { files, firstKid, keysDir, metadataFile, now, readMetadata, rotatedOnce, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

const statesAt = (keys: SigningKey[], at: number, delay = 60_000) => computeSchedule(keys, at, delay).keys.map((t) => [t.key.kid, t.state]);

describe('changing a key (FileKeyStore.update) and listing (FileKeyStore.list)', () => {
  it('records a revocation, keeping every other fact', async () => {
    const kid = await firstKid();
    const updated = await new FileKeyStore(keysDir, 2048).update(kid, { revokedAt: now + 5000 });
    expect(updated).toMatchObject({ kid, createdAt: T0, activatedAt: T0, revokedAt: now + 5000 });
    expect(readMetadata(kid)).toMatchObject({ activatedAt: '2025-03-01T10:00:00.000Z', revokedAt: '2025-03-01T10:00:05.000Z' });
    expect((await new FileKeyStore(keysDir, 2048).list())[0]).toMatchObject({ revokedAt: now + 5000 });
  });

  it('brings an activation forward', async () => {
    await firstKid();
    const scheduled = await new FileKeyStore(keysDir, 2048).rotate(now, now + 86_400_000);
    await new FileKeyStore(keysDir, 2048).update(scheduled.kid, { activatedAt: now + 10 });
    expect(readMetadata(scheduled.kid)).toMatchObject({ activatedAt: '2025-03-01T10:00:00.010Z' });
  });

  it.each([
    ['an unknown kid', 'A'.repeat(43)],
    ['a kid that is a path', '../keys/x'],
    ['an empty kid', ''],
  ])('answers null for %s and writes nothing', async (_what, kid) => {
    await firstKid();
    const before = files().map((file) => readFileSync(path.join(keysDir, file), 'utf8'));
    expect(await new FileKeyStore(keysDir, 2048).update(kid, { revokedAt: now })).toBeNull();
    expect(files().map((file) => readFileSync(path.join(keysDir, file), 'utf8'))).toEqual(before);
  });

  it('lists an empty KEYS_DIR as no keys, generating none', async () => {
    expect(await new FileKeyStore(keysDir, 2048).list()).toEqual([]);
    expect(files()).toEqual([]);
  });
});

describe('metadata files of earlier versions (a `state` and no revokedAt) still load', () => {
  /** What the previous version wrote: `state` and times, nothing about revocation. */
  const legacy = (kid: string, state: string, activatedAt: string | null, retiredAt: string | null = null) =>
    writeFileSync(metadataFile(kid), JSON.stringify({ kid, alg: 'RS256', state, createdAt: activatedAt ?? new Date(T0).toISOString(), activatedAt, retiredAt }, null, 2));

  it('reads an active key and a published (superseded) key as facts; the schedule retires the published one', async () => {
    const [old, created] = await rotatedOnce();
    legacy(old, 'published', '2025-03-01T10:00:00.000Z');
    legacy(created, 'active', '2025-03-01T11:00:00.000Z');
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys.map((k) => [k.kid, k.activatedAt, k.retiredAt, k.revokedAt])).toEqual([
      [created, T0 + 3_600_000, null, null],
      [old, T0, null, null],
    ]);
    expect(statesAt(keys, now)).toEqual([
      [created, 'active'],
      [old, 'published'],
    ]);
    expect(statesAt(keys, now + 60_000)).toEqual([
      [created, 'active'],
      [old, 'retired'],
    ]);
  });

  it('reads a retired key as retired at its retiredAt, or at once when it has none', async () => {
    const [old, created] = await rotatedOnce();
    legacy(old, 'retired', '2025-03-01T10:00:00.000Z', '2025-03-01T10:30:00.000Z');
    let keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys.find((k) => k.kid === old)?.retiredAt).toBe(T0 + 1_800_000);
    legacy(old, 'retired', '2025-03-01T10:00:00.000Z', null);
    keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys.find((k) => k.kid === old)?.retiredAt).toBe(T0);
    expect(statesAt(keys, now)).toEqual([
      [created, 'active'],
      [old, 'retired'],
    ]);
  });

  it('reads a key without an activation time as activated at its creation', async () => {
    const kid = await firstKid();
    legacy(kid, 'active', null);
    expect((await new FileKeyStore(keysDir, 2048).load(now))[0]).toMatchObject({ activatedAt: T0, revokedAt: null });
  });

  it('rewrites the file in the current format, same facts, on the first change', async () => {
    const kid = await firstKid();
    legacy(kid, 'active', '2025-03-01T10:00:00.000Z');
    await new FileKeyStore(keysDir, 2048).update(kid, { revokedAt: now });
    expect(readMetadata(kid)).toEqual({
      kid,
      alg: 'RS256',
      createdAt: '2025-03-01T10:00:00.000Z',
      activatedAt: '2025-03-01T10:00:00.000Z',
      retiredAt: null,
      revokedAt: '2025-03-01T10:00:00.000Z',
    });
  });
});
