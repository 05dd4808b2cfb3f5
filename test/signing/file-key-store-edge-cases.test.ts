// FileKeyStore's less travelled paths: adopting a key made elsewhere (`idp import`), scheduling unless a key is
// already scheduled, stray files in KEYS_DIR, the order of the keys, errors that say what is wrong, metadata
// files without revokedAt, and the files it leaves behind. Shared helpers: ../helpers/keys.ts.
import { mkdirSync, readdirSync, readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError, KeyStoreError } from '../../src/errors.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { computeSchedule } from '../../src/signing/key-schedule.js';
import type { SigningKey } from '../../src/signing/key-store.js';
import { files, firstKid, keysDir, loadError, metadataFile, now, pemFile, readMetadata, root, setNow, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

const store = () => new FileKeyStore(keysDir, 2048);
/** The text of every file in KEYS_DIR, to show that a refusal wrote nothing. */
const contents = () => files().map((file) => [file, readFileSync(path.join(keysDir, file), 'utf8')]);
/** A key made by another FileKeyStore, in a directory of its own (what `idp import` hands to adopt). */
const keyMadeElsewhere = (at = now, activatesAt = at) => new FileKeyStore(path.join(root, 'elsewhere'), 2048).rotate(at, activatesAt);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  return error as Error;
}

describe('adopting a key made elsewhere (FileKeyStore.adopt, `idp import`)', () => {
  it('stores the key with its facts as they are, readable by a fresh store', async () => {
    const kid = await firstKid();
    const key = await keyMadeElsewhere(T0 - 10_000, T0 + 50_000);
    await store().adopt({ ...key, revokedAt: T0 + 60_000 });
    const listed = await store().list();
    expect(listed.map((k) => [k.kid, k.createdAt, k.activatedAt, k.revokedAt])).toEqual([
      [kid, T0, T0, null],
      [key.kid, T0 - 10_000, T0 + 50_000, T0 + 60_000],
    ]);
    expect(listed[1]?.publicJwk).toEqual(key.publicJwk);
  });

  it.each([
    ['a path', '../escape'],
    ['a path that starts like a kid', 'kid/../../escape'],
    ['an empty kid', ''],
    ['a kid longer than 128 characters', 'A'.repeat(129)],
  ])('refuses a kid that is %s with a KeyStoreError naming it, writing nothing', async (_what, kid) => {
    const existing = await firstKid();
    const key = await keyMadeElsewhere();
    const before = contents();
    const error = await rejection(store().adopt({ ...key, kid }));
    expect(error).toBeInstanceOf(KeyStoreError);
    expect(error.message).toContain(JSON.stringify(kid));
    expect(contents()).toEqual(before);
    expect(readdirSync(root).sort()).toEqual(['elsewhere', 'keys']);
    expect(files()).toEqual([`${existing}.json`, `${existing}.key.pem`]);
  });

  it('refuses a kid that is already there with a ConflictError naming it, leaving its files as they are', async () => {
    const [key] = await store().load(now);
    if (!key) throw new Error('no key');
    const before = contents();
    const error = await rejection(store().adopt({ ...key, revokedAt: now }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(key.kid);
    expect(contents()).toEqual(before);
  });

  it.each([
    ['only its private key file', '.json'],
    ['only its metadata file', '.key.pem'],
  ])('counts a kid as there when %s is left, and refuses it (ConflictError)', async (_what, removed) => {
    const [key] = await store().load(now);
    if (!key) throw new Error('no key');
    unlinkSync(path.join(keysDir, key.kid + removed));
    const before = contents();
    await expect(store().adopt(key)).rejects.toBeInstanceOf(ConflictError);
    expect(contents()).toEqual(before);
  });
});

describe('scheduling unless a key is already scheduled (FileKeyStore.rotateUnlessScheduled)', () => {
  it('adds nothing while an unrevoked key activates later, and answers null', async () => {
    await firstKid();
    const scheduled = await store().rotate(now, now + 60_000);
    const before = contents();
    expect(await store().rotateUnlessScheduled(now + 1000, now + 120_000)).toBeNull();
    expect(contents()).toEqual(before);
    expect((await store().list()).map((key) => key.kid)).toContain(scheduled.kid);
  });

  it('schedules a key when every key has activated, the newest exactly now', async () => {
    const old = await firstKid();
    const created = await store().rotateUnlessScheduled(now, now + 60_000);
    expect(created).toMatchObject({ createdAt: now, activatedAt: now + 60_000, revokedAt: null });
    expect((await store().list()).map((key) => key.kid).sort()).toEqual([created?.kid, old].sort());
  });

  it('schedules a key when the only one scheduled was revoked (its replacement)', async () => {
    await firstKid();
    const scheduled = await store().rotate(now, now + 60_000);
    await store().update(scheduled.kid, { revokedAt: now + 1 });
    setNow(now + 2);
    const replacement = await store().rotateUnlessScheduled(now, now + 30_000);
    expect(replacement).toMatchObject({ createdAt: now, activatedAt: now + 30_000 });
    expect(await store().list()).toHaveLength(3);
  });
});

describe('files in KEYS_DIR that are not key files', () => {
  it('ignores hidden files, even one named like key metadata (an editor backup, a macOS ._ file)', async () => {
    const kid = await firstKid();
    writeFileSync(path.join(keysDir, `._${kid}.json`), 'not json at all');
    writeFileSync(path.join(keysDir, '.notes.json'), '{');
    expect((await store().load(now)).map((key) => key.kid)).toEqual([kid]);
  });

  it('ignores files with other suffixes', async () => {
    const kid = await firstKid();
    writeFileSync(path.join(keysDir, 'notes.txt'), 'rotated on Monday\n');
    writeFileSync(path.join(keysDir, `${kid}.pub`), 'a public key\n');
    expect((await store().load(now)).map((key) => key.kid)).toEqual([kid]);
  });

  it('answers null for README (the README.md beside the keys is no key), writing nothing', async () => {
    await firstKid();
    writeFileSync(path.join(keysDir, 'README.md'), 'keys live here\n');
    const before = contents();
    expect(await store().update('README', { revokedAt: now })).toBeNull();
    expect(contents()).toEqual(before);
  });

  it('answers null for a name that is not a kid even when a file of that name is there, writing nothing', async () => {
    await firstKid();
    writeFileSync(path.join(keysDir, 'not a kid.json'), '{}');
    const before = contents();
    expect(await store().update('not a kid', { revokedAt: now })).toBeNull();
    expect(contents()).toEqual(before);
  });
});

describe('the order of the keys (newest first, ties broken by kid)', () => {
  it('lists keys by creation time, newest first, and keys created at the same time by kid', async () => {
    const made: SigningKey[] = [];
    for (const at of [T0, T0 + 1000, T0 + 1000, T0 + 1000, T0 + 2000, T0 + 500]) made.push(await store().rotate(at));
    const expected = [...made].sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid)).map((key) => key.kid);
    expect((await store().list()).map((key) => key.kid)).toEqual(expected);
    expect((await store().load(now + 2000)).map((key) => key.kid)).toEqual(expected);
  });
});

describe('errors that say what is wrong (KeyStoreError)', () => {
  it('says a key file it cannot read cannot be read, and why, rather than that it is missing', async () => {
    const kid = await firstKid();
    unlinkSync(pemFile(kid));
    mkdirSync(pemFile(kid));
    const error = await loadError();
    expect(error.message).toContain(pemFile(kid));
    expect(error.message).toContain('cannot be read');
    expect(error.message).toContain('EISDIR');
    expect(error.message).not.toContain('is missing');
  });

  it('says it cannot create KEYS_DIR when KEYS_DIR is a file', async () => {
    writeFileSync(path.join(root, 'keys'), '');
    const error = await loadError();
    expect(error.message).toContain(`cannot create the key directory ${keysDir}`);
  });

  it('says it cannot read KEYS_DIR when a change is asked for in a KEYS_DIR that does not exist, creating nothing', async () => {
    const error = await rejection(store().update('A'.repeat(43), { revokedAt: now }));
    expect(error).toBeInstanceOf(KeyStoreError);
    expect(error.message).toContain(`cannot read the key directory ${keysDir}`);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('metadata files without revokedAt', () => {
  const withoutRevokedAt = (kid: string, extra: Record<string, unknown> = {}) => {
    const { revokedAt: _revokedAt, ...rest } = readMetadata(kid);
    writeFileSync(metadataFile(kid), JSON.stringify({ ...rest, ...extra }));
  };

  it('reads a current-format file without revokedAt as not revoked, and can then revoke it', async () => {
    const kid = await firstKid();
    withoutRevokedAt(kid);
    expect((await store().load(now))[0]).toMatchObject({ kid, activatedAt: T0, revokedAt: null });
    expect(await store().update(kid, { activatedAt: T0 })).toMatchObject({ revokedAt: null });
    expect(readMetadata(kid)).toMatchObject({ revokedAt: null });
  });

  it('refuses a current-format file without revokedAt and without an activation time (no state to fall back on)', async () => {
    const kid = await firstKid();
    withoutRevokedAt(kid, { activatedAt: null });
    expect((await loadError()).message).toContain(metadataFile(kid));
  });

  it('honours a revocation in a file that also carries an earlier version’s state: a revoked key never signs', async () => {
    const [key] = await store().load(now);
    if (!key) throw new Error('no key');
    const replacement = await store().rotate(now, now);
    writeFileSync(metadataFile(key.kid), JSON.stringify({ ...readMetadata(key.kid), state: 'active', revokedAt: new Date(now).toISOString() }));
    const keys = await store().load(now);
    expect(keys.find((k) => k.kid === key.kid)?.revokedAt).toBe(now);
    const schedule = computeSchedule(keys, now, 60_000);
    expect(schedule.signingKey?.kid).toBe(replacement.kid);
    expect(schedule.published.map((k) => k.kid)).toEqual([replacement.kid]);
  });
});

describe('the files it writes', () => {
  it('writes metadata as readable text: JSON indented by two spaces, ending in a newline', async () => {
    const kid = await firstKid();
    const text = readFileSync(metadataFile(kid), 'utf8');
    expect(text).toBe(JSON.stringify(readMetadata(kid), null, 2) + '\n');
  });

  it('leaves no file of KEYS_DIR open after a rotation and an update', async () => {
    const openInKeysDir = () =>
      readdirSync('/proc/self/fd')
        .flatMap((fd) => {
          try {
            return [readlinkSync(`/proc/self/fd/${fd}`)];
          } catch {
            return [];
          }
        })
        .filter((target) => target.startsWith(keysDir + path.sep));
    const kid = await firstKid();
    await store().rotate(now + 1000);
    await store().update(kid, { revokedAt: now + 2000 });
    expect(openInKeysDir()).toEqual([]);
  });
});
