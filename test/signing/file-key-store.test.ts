import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, importPKCS8, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { KeyStoreError } from '../../src/errors.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import { signJwt } from '../../src/tokens/sign-jwt.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

let root: string;
let keysDir: string;
let now: number;
const clock: Clock = { now: () => now };
const stops: (() => void)[] = [];

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-'));
  keysDir = path.join(root, 'keys');
  now = T0;
});

afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  rmSync(root, { recursive: true, force: true });
});

const files = () => readdirSync(keysDir).sort();
const pemFile = (kid: string) => path.join(keysDir, `${kid}.key.pem`);
const metadataFile = (kid: string) => path.join(keysDir, `${kid}.json`);
const readMetadata = (kid: string) => JSON.parse(readFileSync(metadataFile(kid), 'utf8')) as Record<string, unknown>;
const editMetadata = (kid: string, patch: Record<string, unknown>) =>
  writeFileSync(metadataFile(kid), JSON.stringify({ ...readMetadata(kid), ...patch }));

/** Loads through a fresh FileKeyStore and returns the KeyStoreError it must reject with. */
async function loadError(bits = 2048): Promise<KeyStoreError> {
  const error: unknown = await new FileKeyStore(keysDir, bits).load(now).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected load() to reject').toBeInstanceOf(KeyStoreError);
  return error as KeyStoreError;
}

interface PublishedKey {
  [member: string]: string;
}
const jwksOf = (ring: KeyRing) => JSON.parse(ring.jwks.body.toString('utf8')) as { keys: PublishedKey[] };

/** Creates the first key and returns its kid. */
async function firstKid(): Promise<string> {
  const [key] = await new FileKeyStore(keysDir, 2048).load(now);
  if (!key) throw new Error('no key was generated');
  return key.kid;
}

/** Creates a first key, then rotates once an hour later; returns [old, new] kids. */
async function rotatedOnce(): Promise<[string, string]> {
  const old = await firstKid();
  now = T0 + 3_600_000;
  const created = await new FileKeyStore(keysDir, 2048).rotate(now);
  return [old, created.kid];
}

describe('first start (FileKeyStore.load on an empty KEYS_DIR)', () => {
  it('generates exactly one active RS256 key and writes its .key.pem and .json', async () => {
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).toMatchObject({ alg: 'RS256', state: 'active', createdAt: T0, activatedAt: T0, retiredAt: null });
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

  it('records state and times in the metadata file and leaves no temporary file behind', async () => {
    const kid = await firstKid();
    expect(readMetadata(kid)).toEqual({
      kid,
      alg: 'RS256',
      state: 'active',
      createdAt: '2025-03-01T10:00:00.000Z',
      activatedAt: '2025-03-01T10:00:00.000Z',
      retiredAt: null,
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
    now = T0 + 60_000;
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys.map((key) => key.kid)).toEqual([kid]);
    expect(keys[0]).toMatchObject({ state: 'active', createdAt: T0, activatedAt: T0 });
    expect(files()).toEqual(before);
  });

  it('keeps existing keys when SIGNING_KEY_BITS changes; the size applies to the next key only', async () => {
    const kid = await firstKid();
    const keys = await new FileKeyStore(keysDir, 3072).load(now);
    expect(keys.map((key) => key.kid)).toEqual([kid]);
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

  it('refuses a key set with no active key, and does not generate one', async () => {
    const kid = await firstKid();
    editMetadata(kid, { state: 'published' });
    const before = files();
    expect((await loadError()).message).toMatch(/no active signing key/);
    expect(files()).toEqual(before);
  });

  it('refuses a KEYS_DIR that is a file, naming it', async () => {
    keysDir = path.join(root, 'not-a-dir');
    writeFileSync(keysDir, '');
    expect((await loadError()).message).toContain(keysDir);
  });
});

describe('rotation (FileKeyStore.rotate)', () => {
  it('makes the new key active and the previous one published', async () => {
    const [old, created] = await rotatedOnce();
    expect(created).not.toBe(old);
    const keys = await new FileKeyStore(keysDir, 2048).load(now);
    expect(keys.map((key) => [key.kid, key.state])).toEqual([
      [created, 'active'],
      [old, 'published'],
    ]);
    expect(readMetadata(old).state).toBe('published');
    expect(readMetadata(created)).toMatchObject({ state: 'active', activatedAt: '2025-03-01T11:00:00.000Z' });
  });

  it('keeps the previous key file unchanged and adds one key', async () => {
    const old = await firstKid();
    const pem = readFileSync(pemFile(old), 'utf8');
    now = T0 + 1000;
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    expect(readFileSync(pemFile(old), 'utf8')).toBe(pem);
    expect(files()).toEqual([`${old}.json`, `${old}.key.pem`, `${created.kid}.json`, `${created.kid}.key.pem`].sort());
  });

  it('makes exactly one key when there was none', async () => {
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    expect(files()).toEqual([`${created.kid}.json`, `${created.kid}.key.pem`]);
  });

  it('repairs a key set with no active key, as the load error advises', async () => {
    const old = await firstKid();
    editMetadata(old, { state: 'published' });
    const created = await new FileKeyStore(keysDir, 2048).rotate(now + 1);
    const keys = await new FileKeyStore(keysDir, 2048).load(now + 1);
    expect(keys.map((key) => [key.kid, key.state])).toEqual([[created.kid, 'active'], [old, 'published']]);
  });

  it('returns the new key as active', async () => {
    await firstKid();
    const created = await new FileKeyStore(keysDir, 2048).rotate(now + 1);
    expect(created).toMatchObject({ state: 'active', activatedAt: now + 1 });
  });
});

describe('KeyRing: signing key and JWKS (RFC 7517 §5, RFC 7518 §6.3.1)', () => {
  it('signs with the only key on first start', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(ring.signingKey.kid).toBe(files()[0]?.replace(/\.json$/, ''));
    expect(ring.signingKey.state).toBe('active');
  });

  it('publishes only the public members kty, kid, use, alg, n and e', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const { keys } = jwksOf(ring);
    expect(keys).toHaveLength(1);
    const [jwk] = keys;
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(member);
    expect(jwk).toMatchObject({ kty: 'RSA', kid: ring.signingKey.kid, use: 'sig', alg: 'RS256', e: 'AQAB' });
    expect(jwk?.n).toBe(ring.signingKey.publicJwk.n);
  });

  it('publishes both the new and the previous key after a rotation, and signs with the new one', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const old = ring.signingKey.kid;
    now = T0 + 1000;
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    const { keys } = jwksOf(ring);
    expect(keys.map((key) => key.kid).sort()).toEqual([old, created.kid].sort());
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key).toMatchObject({ use: 'sig', alg: 'RS256' });
    }
    expect(ring.signingKey.kid).toBe(created.kid);
  });

  it('does not publish a retired key', async () => {
    const [old, created] = await rotatedOnce();
    editMetadata(old, { state: 'retired', retiredAt: new Date(now).toISOString() });
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(jwksOf(ring).keys.map((key) => key.kid)).toEqual([created]);
  });

  it('signs with the most recently activated key when two are active (a rotation interrupted by a crash)', async () => {
    const [old, created] = await rotatedOnce();
    editMetadata(old, { state: 'active' });
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(ring.signingKey.kid).toBe(created);
    // It is the activation time that decides, not the order of the files.
    editMetadata(old, { activatedAt: new Date(now + 1000).toISOString() });
    await ring.reload();
    expect(ring.signingKey.kid).toBe(old);
  });

  it('never signs with a published key', async () => {
    const [old, created] = await rotatedOnce();
    editMetadata(old, { activatedAt: new Date(now + 1000).toISOString() });
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(ring.signingKey.kid).toBe(created);
  });

  it('keeps the same quoted ETag while the key set is unchanged, in this ring and another', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const { etag, body } = ring.jwks;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    await ring.reload();
    expect(ring.jwks.etag).toBe(etag);
    expect(ring.jwks.body.equals(body)).toBe(true);
    const other = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(other.jwks.etag).toBe(etag);
  });

  it('changes the ETag when a key is added and again when one is retired', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const first = ring.jwks.etag;
    const old = ring.signingKey.kid;
    now = T0 + 1000;
    await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    const second = ring.jwks.etag;
    expect(second).not.toBe(first);
    editMetadata(old, { state: 'retired' });
    await ring.reload();
    expect(ring.jwks.etag).not.toBe(second);
    expect(ring.jwks.etag).not.toBe(first);
  });

  it('keeps serving its keys when a reload finds damaged files', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const { kid } = ring.signingKey;
    const etag = ring.jwks.etag;
    writeFileSync(pemFile(kid), 'garbage');
    await expect(ring.reload()).rejects.toBeInstanceOf(KeyStoreError);
    expect(ring.signingKey.kid).toBe(kid);
    expect(ring.jwks.etag).toBe(etag);
  });
});

describe('KeyRing.follow (keys rotated by another process, e.g. `idp keys rotate`)', () => {
  it('reloads after another FileKeyStore on the same directory rotates', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const old = ring.signingKey.kid;
    const errors: unknown[] = [];
    stops.push(ring.follow((error) => errors.push(error)));

    now = T0 + 1000;
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    for (let attempt = 0; attempt < 50 && ring.signingKey.kid !== created.kid; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ring.signingKey.kid).toBe(created.kid);
    expect(jwksOf(ring).keys.map((key) => key.kid).sort()).toEqual([old, created.kid].sort());
    expect(errors).toEqual([]);
  });
});

describe('signed JWTs (RFC 7515, RFC 8725 §3.1)', () => {
  it('verify with jose against the published JWKS, with header alg RS256, kid and typ JWT', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const token = await signJwt(ring.signingKey, { sub: 'x' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: ring.signingKey.kid, typ: 'JWT' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(JSON.parse(ring.jwks.body.toString('utf8')) as JSONWebKeySet));
    expect(payload.sub).toBe('x');
    expect(protectedHeader.kid).toBe(ring.signingKey.kid);
  });

  it('still verify after a rotation when signed by the previous, published key', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const token = await signJwt(ring.signingKey, { sub: 'before-rotation' });
    now = T0 + 1000;
    await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwksOf(ring) as unknown as JSONWebKeySet));
    expect(payload.sub).toBe('before-rotation');
  });

  it('no longer verify once their key is retired', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const old = ring.signingKey.kid;
    const token = await signJwt(ring.signingKey, { sub: 'x' });
    now = T0 + 1000;
    await new FileKeyStore(keysDir, 2048).rotate(now);
    editMetadata(old, { state: 'retired' });
    await ring.reload();
    await expect(jwtVerify(token, createLocalJWKSet(jwksOf(ring) as unknown as JSONWebKeySet))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});
