import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKeyStore } from '../../src/services.js';
import { signJwt } from '../../src/tokens/sign-jwt.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Jwks {
  keys: Record<string, string>[];
}

async function waitFor(check: () => Promise<boolean>, attempts = 60, delayMs = 50): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  throw new Error('condition not met in time');
}

describe('every key of the JWKS, active and pending (RFC 7517 §5, RFC 7518 §6.3.2, RFC 7638)', () => {
  let app: RunningApp;
  let active: string;
  let pending: string;

  /** The published keys, which must be exactly the active and the pending key: no test below loops over nothing. */
  async function publishedKeys(): Promise<Jwks['keys']> {
    const { keys } = (await (await fetch(`${app.config.issuer}/jwks`)).json()) as Jwks;
    expect(keys.map((key) => key.kid).sort()).toEqual([active, pending].sort());
    return keys;
  }

  beforeAll(async () => {
    app = await startApp();
    active = app.keyRing.signingKey.kid;
    // Scheduled an hour ahead: published now, signing later (what automatic rotation does).
    pending = (await app.keyRing.scheduleKey(Date.now() + 3_600_000))?.kid ?? '';
    expect(app.keyRing.schedule.keys.map((timeline) => [timeline.key.kid, timeline.state])).toEqual([
      [pending, 'pending'],
      [active, 'active'],
    ]);
  });
  afterAll(() => app.stop());

  it('never publishes a private member of any key (RFC 7518 §6.3.2)', async () => {
    for (const key of await publishedKeys()) {
      expect(Object.keys(key).sort(), key.kid).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key, key.kid).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    }
  });

  it('names each key by its RFC 7638 thumbprint', async () => {
    const keys = await publishedKeys();
    for (const key of keys) expect(key.kid).toBe(await calculateJwkThumbprint({ kty: key.kty, n: key.n, e: key.e }, 'sha256'));
    // Two different keys: the thumbprint is of each key's own modulus.
    expect(new Set(keys.map((key) => key.n)).size).toBe(2);
  });
});

describe('JWKS endpoint (RFC 7517 §5, OIDC Core §10.1)', () => {
  let app: RunningApp;
  let jwksUri: string;

  beforeAll(async () => {
    app = await startApp();
    const metadata = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    jwksUri = metadata.jwks_uri;
  });
  afterAll(() => app.stop());

  it('publishes the signing key with kid, alg RS256 and use sig, as application/jwk-set+json', async () => {
    const response = await fetch(jwksUri);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json; charset=utf-8');
    const { keys } = (await response.json()) as Jwks;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: app.keyRing.signingKey.kid, alg: 'RS256', use: 'sig', e: 'AQAB' });
  });

  it('lets a relying party verify a token signed with the active key using jose.createRemoteJWKSet', async () => {
    const token = await signJwt(app.keyRing.signingKey, { iss: app.config.issuer, sub: 'user-1', aud: 'client-1' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: app.keyRing.signingKey.kid, typ: 'JWT' });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), { issuer: app.config.issuer, audience: 'client-1' });
    expect(payload.sub).toBe('user-1');
  });

  it('answers 304 to If-None-Match with the current ETag, weak or strong, and to *', async () => {
    const first = await fetch(jwksUri);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('cache-control')).toBe(`public, max-age=${app.config.jwksMaxAge}`);
    for (const candidate of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await fetch(jwksUri, { headers: { 'If-None-Match': candidate } });
      expect(response.status, candidate).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
    }
    expect((await fetch(jwksUri, { headers: { 'If-None-Match': '"stale"' } })).status).toBe(200);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await fetch(jwksUri, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBeTruthy();
    expect(await response.text()).toBe('');
  });

  it('may be fetched from any origin (CORS)', async () => {
    const response = await fetch(jwksUri, { headers: { Origin: 'https://rp.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('serves a key rotated by another process (the database poll on PostgreSQL, under 30 s), keeps the previous key, and changes its ETag', async () => {
    const oldKey = app.keyRing.signingKey;
    const oldToken = await signJwt(oldKey, { sub: 'before-rotation' });
    const before = (await fetch(jwksUri)).headers.get('etag');
    // What `idp keys rotate --now` does, from a second key store on the same directory or database.
    const rotated = await openKeyStore(app.config, app.store).rotate(Date.now());
    await waitFor(async () => app.keyRing.signingKey.kid === rotated.kid, 600);
    const response = await fetch(jwksUri);
    expect(response.headers.get('etag')).not.toBe(before);
    const { keys } = (await response.json()) as Jwks;
    expect(keys.map((k) => k.kid).sort()).toEqual([oldKey.kid, rotated.kid].sort());
    const remote = createRemoteJWKSet(new URL(jwksUri));
    expect((await jwtVerify(oldToken, remote)).payload.sub).toBe('before-rotation');
    const newToken = await signJwt(app.keyRing.signingKey, { sub: 'after-rotation' });
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
    expect((await jwtVerify(newToken, remote)).payload.sub).toBe('after-rotation');
  });
});
