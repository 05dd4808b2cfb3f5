// FileKeyStore: first start, restart, damaged files, rotation, revocation facts and files of earlier versions.
// Shared helpers: ../helpers/keys.ts.
import { chmodSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, importPKCS8 } from 'jose';
import { describe, expect, it } from 'vitest';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { computeSchedule } from '../../src/signing/key-schedule.js';
import type { SigningKey } from '../../src/signing/key-store.js';
import { editMetadata, files, firstKid, keysDir, loadError, metadataFile, now, pemFile, readMetadata, root, rotatedOnce, setKeysDir, setNow, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

describe('first start (FileKeyStore.load on an empty KEYS_DIR)', () => {
  it('generates exactly one active RS256 key and writes its .key.pem and .json', async () => {
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toMatchObject({ alg: 'RS256', createdAt: T0, activatedAt: T0, retiredAt: null, revokedAt: null });
    expect(files()).toEqual([`${key?.kid}.json`, `${key?.kid}.key.pem`].sort());
  });

  it('generates a 2048-bit RSA key with exponent 65537', async () => {
    const [key] = await new FileKeyStore(keysDir, 2048).load(now);
    expect(key?.publicJwk.kty).toBe('RSA');
    expect(key?.publicJwk.e).toBe('AQAB');
    expect(Buffer.from(key?.publicJwk.n ?? '', 'base64url')).toHaveLength(256);
  });

  it('names the key by the RFC 7638 SHA-256 thumbprint of the public key in its PEM file', async () => {
    const kid = await firstKid();
    const privateKey = await importPKCS8(readFileSync(pemFile(kid), 'utf8'), 'RS256', { extractable: true });
    const { kty, n, e } = await exportJWK(privateKey);
    expect(kid).toBe(await calculateJwkThumbprint({ kty, n, e }, 'sha256'));
  });

  it('writes the private key readable by its owner only (0600) in a directory only its owner can enter (0700)', async () => {
    const kid = await firstKid();
    expect(statSync(pemFile(kid)).mode & 0o777).toBe(0o600);
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
  });

  it('keeps no private member in the public JWK it holds', async () => {
    const [key] = await new FileKeyStore(keysDir, 2048).load(now);
    expect(Object.keys(key?.publicJwk ?? {}).sort()).toEqual(['e', 'kty', 'n']);
  });

  it('records times, not a state, in the metadata file and leaves no temporary file behind', async () => {
    const kid = await firstKid();
    expect(readMetadata(kid)).toEqual({
      kid,
      alg: 'RS256',
      createdAt: '2025-03-01T10:00:00.000Z',
      activatedAt: '2025-03-01T10:00:00.000Z',
      retiredAt: null,
      revokedAt: null,
    });
    expect(readdirSync(keysDir).filter((file) => file.startsWith('.'))).toEqual([]);
  });

  it('honours SIGNING_KEY_BITS of 3072', async () => {
    const [key] = await new FileKeyStore(keysDir, 3072).load(now);
    expect(Buffer.from(key?.publicJwk.n ?? '', 'base64url')).toHaveLength(384);
  });
});

describe('restart (FileKeyStore.load on existing keys)', () => {
  it('loads the same key in a second FileKeyStore and generates nothing new', async () => {
    const kid = await firstKid();
    const before = files();
    setNow(T0 + 60_000);
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys.map((key) => key.kid)).toEqual([kid]);
    expect(keys[0]).toMatchObject({ createdAt: T0, activatedAt: T0, revokedAt: null });
    expect(files()).toEqual(before);
  });

  it('keeps existing keys when SIGNING_KEY_BITS changes; the size applies to the next key only', async () => {
    const kid = await firstKid();
    const bits = (key: SigningKey | undefined) => Buffer.from(key?.publicJwk.n ?? '', 'base64url').length * 8;
    const larger = new FileKeyStore(keysDir, 3072);
    const keys = await larger.load(now);
    expect(keys.map((key) => [key.kid, bits(key)])).toEqual([[kid, 2048]]);
    setNow(T0 + 1000);
    const next = await larger.rotate(now);
    expect(bits(next)).toBe(3072);
    expect((await new FileKeyStore(keysDir, 2048).load(now)).map((key) => [key.kid, bits(key)])).toEqual([
      [next.kid, 3072],
      [kid, 2048],
    ]);
  });

  it('ignores hidden files and README.md in KEYS_DIR', async () => {
    const kid = await firstKid();
    writeFileSync(path.join(keysDir, 'README.md'), 'keys live here\n');
    writeFileSync(path.join(keysDir, '.half-written.json.tmp'), '{');
    expect((await new FileKeyStore(keysDir, 2048).load(now)).map((key) => key.kid)).toEqual([kid]);
  });
});

describe('damaged key files are refused, never replaced (KeyStoreError)', () => {
  it('refuses a corrupted PEM, naming the file, and writes no new key', async () => {
    const kid = await firstKid();
    writeFileSync(pemFile(kid), '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    const before = files();
    const error = await loadError();
    expect(error.message).toContain(pemFile(kid));
    expect(error.message).toMatch(/corrupted/);
    expect(files()).toEqual(before);
  });

  it('refuses a truncated PEM', async () => {
    const kid = await firstKid();
    const pem = readFileSync(pemFile(kid), 'utf8');
    writeFileSync(pemFile(kid), pem.slice(0, pem.length / 2));
    expect((await loadError()).message).toContain(pemFile(kid));
  });

  it('refuses an empty PEM', async () => {
    const kid = await firstKid();
    writeFileSync(pemFile(kid), '');
    expect((await loadError()).message).toContain(pemFile(kid));
  });

  it('refuses metadata that is not JSON, naming the file, and writes no new key', async () => {
    const kid = await firstKid();
    writeFileSync(metadataFile(kid), '{"kid": "');
    const before = files();
    const error = await loadError();
    expect(error.message).toContain(metadataFile(kid));
    expect(files()).toEqual(before);
  });

  it.each([
    ['an unknown state', { state: 'enabled' }],
    ['another algorithm', { alg: 'ES256' }],
    ['a date that is not ISO 8601', { createdAt: 'yesterday' }],
    ['a missing kid', { kid: '' }],
    ['no activation time', { activatedAt: null }],
    ['a revocation time that is not ISO 8601', { revokedAt: 'now' }],
  ])('refuses metadata with %s', async (_what, patch) => {
    const kid = await firstKid();
    editMetadata(kid, patch);
    expect((await loadError()).message).toContain(metadataFile(kid));
  });

  it('refuses metadata whose private key file is missing', async () => {
    const kid = await firstKid();
    unlinkSync(pemFile(kid));
    const error = await loadError();
    expect(error.message).toContain(pemFile(kid));
    expect(error.message).toMatch(/is missing/);
    expect(files()).toEqual([`${kid}.json`]);
  });

  it('refuses a private key whose metadata file is missing', async () => {
    const kid = await firstKid();
    unlinkSync(metadataFile(kid));
    const error = await loadError();
    expect(error.message).toContain(metadataFile(kid));
    expect(error.message).toMatch(/is missing/);
  });

  it('refuses a key whose files were renamed to another kid', async () => {
    const kid = await firstKid();
    const other = 'A'.repeat(43);
    renameSync(pemFile(kid), pemFile(other));
    writeFileSync(metadataFile(other), JSON.stringify({ ...readMetadata(kid), kid: other }));
    unlinkSync(metadataFile(kid));
    const error = await loadError();
    expect(error.message).toMatch(/does not match/);
    expect(error.message).toContain(pemFile(other));
    expect(error.message).toContain(kid);
  });

  it('refuses two keys whose PEM files were swapped', async () => {
    const [a, b] = await rotatedOnce();
    const pemA = readFileSync(pemFile(a));
    writeFileSync(pemFile(a), readFileSync(pemFile(b)));
    writeFileSync(pemFile(b), pemA);
    expect((await loadError()).message).toMatch(/does not match/);
  });

  it('refuses metadata that names a different kid than its file', async () => {
    const kid = await firstKid();
    editMetadata(kid, { kid: 'B'.repeat(43) });
    const error = await loadError();
    expect(error.message).toMatch(/does not match its name/);
    expect(error.message).toContain(metadataFile(kid));
  });

  it('refuses a private key file that other users can read, naming it', async () => {
    const kid = await firstKid();
    chmodSync(pemFile(kid), 0o644);
    const error = await loadError();
    expect(error.message).toBe(`signing key file ${pemFile(kid)} is accessible to other users (mode 0644); run chmod 600 on it`);
  });

  it('refuses a key set in which no key can sign now, and does not generate one', async () => {
    const kid = await firstKid();
    editMetadata(kid, { revokedAt: new Date(now).toISOString() });
    const before = files();
    expect((await loadError()).message).toMatch(/no signing key in .* can sign now/);
    expect(files()).toEqual(before);
  });

  it('refuses a KEYS_DIR that is a file, naming it', async () => {
    setKeysDir(path.join(root, 'not-a-dir'));
    writeFileSync(keysDir, '');
    expect((await loadError()).message).toContain(keysDir);
  });
});

const statesAt = (keys: SigningKey[], at: number, delay = 60_000) => computeSchedule(keys, at, delay).keys.map((t) => [t.key.kid, t.state]);

describe('rotation (FileKeyStore.rotate)', () => {
  it('adds a key that signs at once by default; the previous key stays published', async () => {
    const [old, created] = await rotatedOnce();
    expect(created).not.toBe(old);
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(statesAt(keys, now)).toEqual([
      [created, 'active'],
      [old, 'published'],
    ]);
    expect(readMetadata(created)).toMatchObject({ activatedAt: '2025-03-01T11:00:00.000Z', revokedAt: null });
    // The previous key's file is not rewritten: its retirement follows from the new key's activation.
    expect(readMetadata(old)).toMatchObject({ activatedAt: '2025-03-01T10:00:00.000Z', retiredAt: null });
  });

  it('schedules a key that is published now and signs from its activation time', async () => {
    const old = await firstKid();
    const created = await new FileKeyStore(keysDir, 2048).rotate(now + 1000, now + 61_000);
    expect(created).toMatchObject({ createdAt: now + 1000, activatedAt: now + 61_000, retiredAt: null, revokedAt: null });
    const keys = await new FileKeyStore(keysDir, 2048).load(now + 1000);
    expect(statesAt(keys, now + 1000)).toEqual([
      [created.kid, 'pending'],
      [old, 'active'],
    ]);
    expect(statesAt(keys, now + 61_000)).toEqual([
      [created.kid, 'active'],
      [old, 'published'],
    ]);
    expect(statesAt(keys, now + 121_000)).toEqual([
      [created.kid, 'active'],
      [old, 'retired'],
    ]);
  });

  it('keeps the previous key file unchanged and adds one key', async () => {
    const old = await firstKid();
    const pem = readFileSync(pemFile(old), 'utf8');
    const json = readFileSync(metadataFile(old), 'utf8');
    setNow(T0 + 1000);
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    expect(readFileSync(pemFile(old), 'utf8')).toBe(pem);
    expect(readFileSync(metadataFile(old), 'utf8')).toBe(json);
    expect(files()).toEqual([`${old}.json`, `${old}.key.pem`, `${created.kid}.json`, `${created.kid}.key.pem`].sort());
  });

  it('makes exactly one key when there was none, creating KEYS_DIR', async () => {
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    expect(files()).toEqual([`${created.kid}.json`, `${created.kid}.key.pem`]);
  });

  it('repairs a key set in which no key can sign, as the load error advises', async () => {
    const old = await firstKid();
    editMetadata(old, { revokedAt: new Date(now).toISOString() });
    const created = await new FileKeyStore(keysDir, 2048).rotate(now + 1);
    const keys = await new FileKeyStore(keysDir, 2048).load(now + 1);
    expect(statesAt(keys, now + 1)).toEqual([
      [created.kid, 'active'],
      [old, 'revoked'],
    ]);
  });
});
