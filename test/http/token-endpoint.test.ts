import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, string>;
}
interface Issued {
  code: string;
  start: AuthorizationStart;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let spa: TestClient;

  /** Every answer of the token endpoint is JSON that no cache may keep (RFC 6749 §5.1, §5.2). */
  async function token(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${app.config.issuer}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, string> };
  }

  function expectError(answer: Answer, status: number, error: string): void {
    expect([answer.status, answer.json.error], JSON.stringify(answer.json)).toEqual([status, error]);
    expect(answer.json.access_token).toBeUndefined();
  }

  async function code(forClient: TestClient, extra: Record<string, string> = {}): Promise<Issued> {
    const start = await authorizationUrl(forClient, extra);
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    return { code: callback.searchParams.get('code') ?? '', start };
  }

  const redeem = (forClient: TestClient, issued: Issued, overrides: Record<string, string> = {}) =>
    token(
      { grant_type: 'authorization_code', code: issued.code, redirect_uri: forClient.redirectUri, code_verifier: issued.start.codeVerifier, ...overrides },
      { Authorization: basic(forClient.clientId, forClient.clientSecret ?? '') },
    );

  const userinfo = (accessToken: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
    spa = await addClient(app, { name: 'SPA', redirectUris: ['https://spa.example/'], isPublic: true });
  });
  afterAll(() => app.stop());

  describe('successful response (RFC 6749 §5.1, OIDC Core §3.1.3.3)', () => {
    it('issues Bearer tokens with expires_in and the granted scope for a valid code', async () => {
      const answer = await redeem(client, await code(client, { scope: 'openid' }));
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'openid' });
      expect(typeof answer.json.access_token).toBe('string');
      expect(typeof answer.json.id_token).toBe('string');
    });

    it('issues a refresh token bound to the sign-in session when offline_access was not granted (OIDC Core §11)', async () => {
      const answer = await redeem(client, await code(client, { scope: 'openid email profile' }));
      expect(answer.status).toBe(200);
      const stored = await app.store.refreshTokens.find(hashSecret(answer.json.refresh_token ?? ''));
      expect(stored?.sessionIdHash).toEqual(expect.any(String));
      expect(stored?.scope).toBe('openid email profile');
    });

    it('issues a refresh token, stored only as a hash, when offline_access is granted', async () => {
      const answer = await redeem(client, await code(client, { scope: 'openid offline_access' }));
      expect(answer.status).toBe(200);
      const refreshToken = answer.json.refresh_token ?? '';
      expect(refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await app.store.refreshTokens.find(hashSecret(refreshToken)))?.tokenHash).toBe(hashSecret(refreshToken));
      // Every column of every stored refresh token: the token itself is in none.
      const rows = await queryRows<Record<string, unknown>>(app, 'SELECT * FROM refresh_tokens');
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toContain(refreshToken);
    });
  });

  describe('ID token (OIDC Core §2, §3.1.3.6)', () => {
    it('is signed with RS256 under the active key id, verifiably with the published JWKS', async () => {
      const answer = await redeem(client, await code(client, { scope: 'openid' }));
      expect(decodeProtectedHeader(answer.json.id_token ?? '')).toEqual({ alg: 'RS256', kid: app.keyRing.signingKey.kid, typ: 'JWT' });
      const jwks = createLocalJWKSet((await (await fetch(`${app.config.issuer}/jwks`)).json()) as JSONWebKeySet);
      const { payload } = await jwtVerify(answer.json.id_token ?? '', jwks, { algorithms: ['RS256'], issuer: app.config.issuer, audience: client.clientId, currentDate: new Date(clock.now()) });
      expect(payload.azp).toBe(client.clientId);
    });

    it('carries auth_time, azp, sid, amr and an at_hash of the access token, and no profile claims for scope openid alone', async () => {
      const answer = await redeem(client, await code(client, { scope: 'openid' }));
      const id = decodeJwt(answer.json.id_token ?? '');
      expect(id).toMatchObject({ iss: app.config.issuer, aud: client.clientId, azp: client.clientId, amr: ['pwd'] });
      expect(typeof id.auth_time).toBe('number');
      expect(typeof id.sid).toBe('string');
      expect(id.name).toBeUndefined();
      expect(id.email).toBeUndefined();
      const leftHalf = createHash('sha256')
        .update(answer.json.access_token ?? '')
        .digest()
        .subarray(0, 16)
        .toString('base64url');
      expect(id.at_hash).toBe(leftHalf);
    });

    it('leaves nonce out when the authorization request had none', async () => {
      const start = await authorizationUrl(client);
      const url = new URL(start.url);
      url.searchParams.delete('nonce');
      const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
      const answer = await redeem(client, { code: callback.searchParams.get('code') ?? '', start });
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.json.id_token ?? '')).not.toHaveProperty('nonce');
    });
  });

  describe('access token (RFC 9068 §2)', () => {
    it('is typed at+jwt and carries client_id, scope, jti and the userinfo audience', async () => {
      const answer = await redeem(client, await code(client, { scope: 'openid email' }));
      const accessToken = answer.json.access_token ?? '';
      expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: app.keyRing.signingKey.kid });
      const claims = decodeJwt(accessToken);
      expect(claims).toMatchObject({ client_id: client.clientId, scope: 'openid email', aud: `${app.config.issuer}/userinfo`, iss: app.config.issuer });
      expect(claims.jti).toEqual(expect.any(String));
      expect((await userinfo(accessToken)).status).toBe(200);
    });
  });

  describe('token endpoint errors (RFC 6749 §5.2)', () => {
    it('answers invalid_grant to a second use of a code and revokes what the first use issued (§4.1.2)', async () => {
      const issued = await code(client, { scope: 'openid offline_access' });
      const first = await redeem(client, issued);
      expect(first.status).toBe(200);
      expect((await userinfo(first.json.access_token ?? '')).status).toBe(200);
      const second = await redeem(client, issued);
      expectError(second, 400, 'invalid_grant');
      expect(second.json.error_description).toMatch(/already been used/);
      expect((await userinfo(first.json.access_token ?? '')).status).toBe(401);
      expect((await app.store.refreshTokens.find(hashSecret(first.json.refresh_token ?? '')))?.revokedAt).not.toBeNull();
    });

    it('lets one of two concurrent redemptions of a code win, and whatever the order, revokes what the winner got', async () => {
      for (let round = 0; round < 3; round++) {
        const issued = await code(client, { scope: 'openid offline_access' });
        const answers = await Promise.all([redeem(client, issued), redeem(client, issued)]);
        const winners = answers.filter((answer) => answer.status === 200);
        expect(winners).toHaveLength(1);
        const [winner] = winners;
        expect((await userinfo(winner?.json.access_token ?? '')).status).toBe(401);
        expect((await app.store.refreshTokens.find(hashSecret(winner?.json.refresh_token ?? '')))?.revokedAt).not.toBeNull();
      }
    });

    it('answers invalid_grant to a code presented by another authenticated client, and burns it', async () => {
      const issued = await code(client);
      expectError(await redeem(other, issued, { redirect_uri: client.redirectUri }), 400, 'invalid_grant');
      expectError(await redeem(client, issued), 400, 'invalid_grant');
    });

    it('answers invalid_grant to a redirect_uri that differs from the authorization request, and invalid_request to a missing one', async () => {
      const issued = await code(client);
      expectError(await redeem(client, issued, { redirect_uri: 'https://rp.example/other' }), 400, 'invalid_grant');
      expectError(await redeem(client, issued, { redirect_uri: '' }), 400, 'invalid_request');
      expect((await redeem(client, issued)).status).toBe(200);
    });

    it('answers invalid_grant to a code older than its 60 second lifetime, and redeems one just younger', async () => {
      expect(app.config.lifetimes.authorizationCode).toBe(60);
      const young = await code(client);
      clock.advance(59_000);
      expect((await redeem(client, young)).status).toBe(200);
      const old = await code(client);
      clock.advance(60_000);
      const answer = await redeem(client, old);
      expectError(answer, 400, 'invalid_grant');
      expect(answer.json.error_description).toMatch(/expired/);
    });

    it('answers invalid_request when grant_type is missing', async () => {
      expectError(await token({ code: 'x', redirect_uri: client.redirectUri }, { Authorization: basic(client.clientId, client.clientSecret ?? '') }), 400, 'invalid_request');
    });

    it('answers unsupported_grant_type to grant_type=password', async () => {
      const answer = await token({ grant_type: 'password', username: 'ada@example.com', password: 'x' }, { Authorization: basic(client.clientId, client.clientSecret ?? '') });
      expectError(answer, 400, 'unsupported_grant_type');
    });

    it('answers invalid_request when the code is missing', async () => {
      expectError(
        await token({ grant_type: 'authorization_code', redirect_uri: client.redirectUri }, { Authorization: basic(client.clientId, client.clientSecret ?? '') }),
        400,
        'invalid_request',
      );
    });
  });

  describe('PKCE (RFC 7636 §4.5, §4.6)', () => {
    it('answers invalid_grant to a wrong, malformed or missing code_verifier, and the code still works with the right one', async () => {
      const issued = await code(client);
      for (const verifier of ['x'.repeat(43), 'short', '']) expectError(await redeem(client, issued, { code_verifier: verifier }), 400, 'invalid_grant');
      const withoutVerifier = await token(
        { grant_type: 'authorization_code', code: issued.code, redirect_uri: client.redirectUri },
        { Authorization: basic(client.clientId, client.clientSecret ?? '') },
      );
      expectError(withoutVerifier, 400, 'invalid_grant');
      expect((await redeem(client, issued)).status).toBe(200);
    });

    it('answers invalid_grant to a malformed code_verifier even when its S256 matches the challenge (RFC 7636 §4.1: 43 to 128 unreserved characters)', async () => {
      // The client's own challenge is computed from the malformed verifier, so only the shape check can refuse it.
      for (const verifier of ['a'.repeat(129), `!${'a'.repeat(43)}`, `${'a'.repeat(43)}!`, `${'a'.repeat(21)} ${'a'.repeat(21)}`]) {
        const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
        const start = await authorizationUrl(client, { code_challenge: challenge });
        const callback = await signIn(new Browser(), app, start, 'ada@example.com');
        const issued = { code: callback.searchParams.get('code') ?? '', start };
        expectError(await redeem(client, issued, { code_verifier: verifier }), 400, 'invalid_grant');
      }
      // The longest and shortest well-formed verifiers are accepted.
      for (const verifier of ['a'.repeat(128), '-._~'.repeat(10) + 'Zz9']) {
        const start = await authorizationUrl(client, { code_challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url') });
        const callback = await signIn(new Browser(), app, start, 'ada@example.com');
        expect((await redeem(client, { code: callback.searchParams.get('code') ?? '', start }, { code_verifier: verifier })).status).toBe(200);
      }
    });

    it('answers invalid_grant to a code_verifier for a code issued without a challenge', async () => {
      const optional = await addClient(app, { name: 'Suite', redirectUris: ['https://suite.example/cb'], pkce: 'optional' });
      const start = await authorizationUrl(optional);
      const url = new URL(start.url);
      url.searchParams.delete('code_challenge');
      url.searchParams.delete('code_challenge_method');
      const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
      const issued = { code: callback.searchParams.get('code') ?? '', start };
      expectError(await redeem(optional, issued), 400, 'invalid_grant');
      expect((await redeem(optional, issued, { code_verifier: '' })).status).toBe(200);
    });
  });

  describe('client authentication (RFC 6749 §2.3.1, OIDC Core §9)', () => {
    it('answers 401 invalid_client with a Basic challenge to a wrong secret, and the code still works with the right secret', async () => {
      const issued = await code(client);
      const wrong = await redeem({ ...client, clientSecret: 'wrong' }, issued);
      expectError(wrong, 401, 'invalid_client');
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await redeem(client, issued)).status).toBe(200);
    });

    it('answers 401 invalid_client to an unknown client and to a request with no authentication', async () => {
      const fields = { grant_type: 'authorization_code', code: 'x', redirect_uri: client.redirectUri };
      expectError(await token(fields, { Authorization: basic('nobody', 'secret') }), 401, 'invalid_client');
      expectError(await token(fields), 401, 'invalid_client');
    });

    it('accepts client_secret_post', async () => {
      const issued = await code(client);
      const answer = await token({
        grant_type: 'authorization_code',
        code: issued.code,
        redirect_uri: client.redirectUri,
        code_verifier: issued.start.codeVerifier,
        client_id: client.clientId,
        client_secret: client.clientSecret ?? '',
      });
      expect(answer.status).toBe(200);
      expect(answer.json.token_type).toBe('Bearer');
    });

    it('answers invalid_request to credentials sent both in the Authorization header and in the body', async () => {
      const issued = await code(client);
      const both = await redeem(client, issued, { client_id: client.clientId, client_secret: client.clientSecret ?? '' });
      expectError(both, 400, 'invalid_request');
      expect((await redeem(client, issued)).status).toBe(200);
    });

    it('serves a public client that sends its client_id and a code_verifier, and refuses one that sends a secret with 401', async () => {
      const issued = await code(spa);
      const fields = { grant_type: 'authorization_code', code: issued.code, redirect_uri: spa.redirectUri, code_verifier: issued.start.codeVerifier, client_id: spa.clientId };
      expectError(await token({ ...fields, client_secret: 'anything' }), 401, 'invalid_client');
      const answer = await token(fields);
      expect(answer.status).toBe(200);
      expect(decodeJwt(answer.json.id_token ?? '').aud).toBe(spa.clientId);
    });

    it('opens the token endpoint to other origins (CORS preflight)', async () => {
      const response = await fetch(`${app.config.issuer}/token`, { method: 'OPTIONS', headers: { Origin: 'https://spa.example', 'Access-Control-Request-Method': 'POST' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
    });
  });
});
