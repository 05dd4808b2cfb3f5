// KeyRing (signing key, JWKS, the schedule it follows by the clock, follow) and the JWTs it signs.
// Shared helpers: ../helpers/keys.ts.
import { writeFileSync } from 'node:fs';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import { signJwt } from '../../src/tokens/sign-jwt.js';
import { clock, editMetadata, files, jwksOf, keysDir, now, pemFile, rotatedOnce, setNow, stops, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

describe('KeyRing: signing key and JWKS (RFC 7517 §5, RFC 7518 §6.3.1)', () => {
  it('signs with the only key on first start', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(ring.signingKey.kid).toBe(files()[0]?.replace(/\.json$/, ''));
    expect(ring.schedule.keys.map((t) => t.state)).toEqual(['active']);
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
    setNow(T0 + 1000);
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

  it('signs with the key activated last, whatever the order of the files', async () => {
    const [old, created] = await rotatedOnce();
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(ring.signingKey.kid).toBe(created);
    editMetadata(created, { activatedAt: new Date(T0 - 1000).toISOString() });
    await ring.reload();
    expect(ring.signingKey.kid).toBe(old);
  });

  it('never signs with a pending key, and signs with it from its activation without a reload', async () => {
    const [old, created] = await rotatedOnce();
    editMetadata(old, { activatedAt: new Date(now + 1000).toISOString() });
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    expect(ring.signingKey.kid).toBe(created);
    setNow(now + 1000);
    expect(ring.signingKey.kid).toBe(old);
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
    setNow(T0 + 1000);
    await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    const second = ring.jwks.etag;
    expect(second).not.toBe(first);
    editMetadata(old, { retiredAt: new Date(now).toISOString() });
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

describe('KeyRing follows the rotation schedule by the clock alone (no reload, no restart)', () => {
  const DELAY = 60_000;

  it('publishes a scheduled key at once, signs with it from its activation, and retires the previous key after the delay', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, DELAY);
    const old = ring.signingKey.kid;
    setNow(now + 1000);
    const scheduled = await ring.scheduleKey(now + 120_000);
    if (!scheduled) throw new Error('nothing else was scheduled, yet no key was');
    expect(await ring.scheduleKey(now + 240_000)).toBeNull();
    const published = ring.jwks.etag;
    expect(jwksOf(ring).keys.map((key) => key.kid)).toEqual([scheduled.kid, old]);
    expect(ring.signingKey.kid).toBe(old);

    setNow(now + 119_999);
    expect(ring.signingKey.kid).toBe(old);
    setNow(now + 1);
    expect(ring.signingKey.kid).toBe(scheduled.kid);
    // An activation changes which key signs, not the key set: caches stay valid.
    expect(ring.jwks.etag).toBe(published);
    expect(ring.schedule.keys.map((t) => [t.key.kid, t.state])).toEqual([
      [scheduled.kid, 'active'],
      [old, 'published'],
    ]);

    setNow(now + DELAY - 1);
    expect(jwksOf(ring).keys).toHaveLength(2);
    setNow(now + 1);
    expect(jwksOf(ring).keys.map((key) => key.kid)).toEqual([scheduled.kid]);
    expect(ring.jwks.etag).not.toBe(published);
    expect(ring.schedule.keys.map((t) => t.state)).toEqual(['active', 'retired']);
  });

  it('takes a key revoked by another process out of the JWKS and the verification keys on reload', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, DELAY);
    const old = ring.signingKey;
    const token = await signJwt(old, { sub: 'x' });
    const replacement = await new FileKeyStore(keysDir, 2048).rotate(now, now);
    await new FileKeyStore(keysDir, 2048).update(old.kid, { revokedAt: now });
    await ring.reload();
    expect(ring.signingKey.kid).toBe(replacement.kid);
    expect(jwksOf(ring).keys.map((key) => key.kid)).toEqual([replacement.kid]);
    await expect(jwtVerify(token, ring.verificationKeys)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('keeps serving its keys when a reload finds a key set that cannot sign', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, DELAY);
    const { kid } = ring.signingKey;
    const { etag } = ring.jwks;
    editMetadata(kid, { revokedAt: new Date(now).toISOString() });
    await expect(ring.reload()).rejects.toBeInstanceOf(KeyStoreError);
    expect(ring.signingKey.kid).toBe(kid);
    expect(ring.jwks.etag).toBe(etag);
    expect(jwksOf(ring).keys.map((key) => key.kid)).toEqual([kid]);
  });

  it('refuses to open on a key set in which every key is revoked', async () => {
    const [old, created] = await rotatedOnce();
    for (const kid of [old, created]) editMetadata(kid, { revokedAt: new Date(now).toISOString() });
    await expect(KeyRing.open(new FileKeyStore(keysDir, 2048), clock)).rejects.toThrow(/can sign now/);
  });
});

describe('KeyRing.follow (keys rotated by another process, e.g. `idp keys rotate`)', () => {
  it('reloads after another FileKeyStore on the same directory rotates', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock);
    const old = ring.signingKey.kid;
    const errors: unknown[] = [];
    stops.push(ring.follow((error) => errors.push(error)));

    setNow(T0 + 1000);
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    for (let attempt = 0; attempt < 50 && ring.signingKey.kid !== created.kid; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ring.signingKey.kid).toBe(created.kid);
    expect(
      jwksOf(ring)
        .keys.map((key) => key.kid)
        .sort(),
    ).toEqual([old, created.kid].sort());
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
    setNow(T0 + 1000);
    await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwksOf(ring) as unknown as JSONWebKeySet));
    expect(payload.sub).toBe('before-rotation');
  });

  it('no longer verify once their key is retired', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, 60_000);
    const token = await signJwt(ring.signingKey, { sub: 'x' });
    setNow(T0 + 1000);
    await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    await jwtVerify(token, ring.verificationKeys);
    setNow(now + 60_000);
    await expect(jwtVerify(token, createLocalJWKSet(jwksOf(ring) as unknown as JSONWebKeySet))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});

describe('KeyRing: overlapping reloads', () => {
  it('never lets a reload that started earlier, and read the keys before a rotation, replace a later one', async () => {
    const store = new FileKeyStore(keysDir, 2048);
    const ring = await KeyRing.open(store, clock);
    const old = ring.signingKey.kid;
    // The first reload reads the key set now, and is held back until after the second has applied its own.
    const staleKeys = await store.load(now);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const realLoad = store.load.bind(store);
    let calls = 0;
    store.load = async (at: number) => {
      calls += 1;
      if (calls === 1) {
        await held;
        return staleKeys;
      }
      return realLoad(at);
    };
    const slow = ring.reload();
    setNow(T0 + 1000);
    const created = await new FileKeyStore(keysDir, 2048).rotate(now);
    await ring.reload();
    expect(ring.signingKey.kid).toBe(created.kid);
    release();
    await slow;
    expect(ring.signingKey.kid).toBe(created.kid);
    expect(
      jwksOf(ring)
        .keys.map((key) => key.kid)
        .sort(),
    ).toEqual([old, created.kid].sort());
  });
});
