import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, string>;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('token endpoint (RFC 6749 §4.1.3, §5, RFC 7636 §4.5)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let spa: TestClient;

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

  async function code(forClient: TestClient, extra: Record<string, string> = {}): Promise<{ code: string; start: AuthorizationStart }> {
    const start = await authorizationUrl(forClient, extra);
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    return { code: callback.searchParams.get('code') ?? '', start };
  }

  const redeem = (forClient: TestClient, issued: { code: string; start: AuthorizationStart }, overrides: Record<string, string> = {}) =>
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

  it('issues Bearer tokens, an RS256 ID token and an RFC 9068 access token for a valid code', async () => {
    const answer = await redeem(client, await code(client, { scope: 'openid' }));
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'openid' });
    expect(answer.json.refresh_token).toBeUndefined();
    expect(decodeProtectedHeader(answer.json.id_token ?? '')).toEqual({ alg: 'RS256', kid: app.keyRing.signingKey.kid, typ: 'JWT' });
    const id = decodeJwt(answer.json.id_token ?? '');
    expect(id).toMatchObject({ aud: client.clientId, azp: client.clientId, amr: ['pwd'] });
    expect(typeof id.auth_time).toBe('number');
    expect(typeof id.sid).toBe('string');
    expect(id.name).toBeUndefined();
    expect(id.email).toBeUndefined();
    const accessToken = answer.json.access_token ?? '';
    expect(id.at_hash).toBe(createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'));
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
    expect(decodeJwt(accessToken)).toMatchObject({ client_id: client.clientId, scope: 'openid', aud: `${app.config.issuer}/userinfo` });
  });

  it('leaves nonce out of the ID token when the request had none (conformance #8)', async () => {
    const start = await authorizationUrl(client);
    const url = new URL(start.url);
    url.searchParams.delete('nonce');
    const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
    const answer = await redeem(client, { code: callback.searchParams.get('code') ?? '', start });
    expect(decodeJwt(answer.json.id_token ?? '').nonce).toBeUndefined();
  });

  it('issues a refresh token, stored only as a hash, when offline_access is granted', async () => {
    const answer = await redeem(client, await code(client, { scope: 'openid offline_access' }));
    expect(answer.json.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await app.store.refreshTokens.find(hashSecret(answer.json.refresh_token ?? ''))).not.toBeNull();
  });

  it('answers invalid_grant to a second use of a code and revokes what the first use issued (RFC 6749 §4.1.2)', async () => {
    const issued = await code(client, { scope: 'openid offline_access' });
    const first = await redeem(client, issued);
    expect((await userinfo(first.json.access_token ?? '')).status).toBe(200);
    const second = await redeem(client, issued);
    expect(second.status).toBe(400);
    expect(second.json.error).toBe('invalid_grant');
    expect(second.json.error_description).toMatch(/already been used/);
    expect((await userinfo(first.json.access_token ?? '')).status).toBe(401);
    expect((await app.store.refreshTokens.find(hashSecret(first.json.refresh_token ?? '')))?.revokedAt).not.toBeNull();
  });

  it('answers invalid_grant to a code presented by another client, and burns it', async () => {
    const issued = await code(client);
    const stolen = await redeem(other, issued, { redirect_uri: client.redirectUri });
    expect([stolen.status, stolen.json.error]).toEqual([400, 'invalid_grant']);
    expect((await redeem(client, issued)).json.error).toBe('invalid_grant');
  });

  it('refuses a wrong, missing or malformed code_verifier without spending the code', async () => {
    const issued = await code(client);
    for (const verifier of ['x'.repeat(43), '', 'short']) {
      const answer = await redeem(client, issued, { code_verifier: verifier });
      expect([answer.status, answer.json.error], verifier).toEqual([400, 'invalid_grant']);
    }
    expect((await redeem(client, issued)).status).toBe(200);
  });

  it('refuses a code_verifier for a code issued without a challenge', async () => {
    const optional = await addClient(app, { name: 'Suite', redirectUris: ['https://suite.example/cb'], pkce: 'optional' });
    const start = await authorizationUrl(optional);
    const url = new URL(start.url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
    const issued = { code: callback.searchParams.get('code') ?? '', start };
    expect((await redeem(optional, issued)).json.error).toBe('invalid_grant');
    expect((await redeem(optional, issued, { code_verifier: '' })).status).toBe(200);
  });

  it('refuses a mismatched redirect_uri (invalid_grant) and a missing one (invalid_request)', async () => {
    const issued = await code(client);
    expect((await redeem(client, issued, { redirect_uri: 'https://rp.example/other' })).json.error).toBe('invalid_grant');
    expect((await redeem(client, issued, { redirect_uri: '' })).json.error).toBe('invalid_request');
  });

  it('refuses an expired code', async () => {
    const issued = await code(client);
    clock.advance(61_000);
    expect((await redeem(client, issued)).json.error).toBe('invalid_grant');
  });

  it('answers 401 invalid_client with a Basic challenge for a wrong secret, and checks the client before the code', async () => {
    const issued = await code(client);
    const wrong = await redeem({ ...client, clientSecret: 'wrong' }, issued);
    expect([wrong.status, wrong.json.error]).toEqual([401, 'invalid_client']);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect((await redeem(client, issued)).status).toBe(200);
  });

  it('refuses unknown clients, missing authentication, and two methods at once', async () => {
    const fields = { grant_type: 'authorization_code', code: 'x', redirect_uri: client.redirectUri };
    expect((await token(fields, { Authorization: basic('nobody', 'secret') })).status).toBe(401);
    expect((await token(fields)).status).toBe(401);
    const both = await token({ ...fields, client_secret: client.clientSecret ?? '' }, { Authorization: basic(client.clientId, client.clientSecret ?? '') });
    expect([both.status, both.json.error]).toEqual([400, 'invalid_request']);
  });

  it('accepts client_secret_post (conformance oidcc-server-client-secret-post)', async () => {
    const issued = await code(client);
    const answer = await token({ grant_type: 'authorization_code', code: issued.code, redirect_uri: client.redirectUri, code_verifier: issued.start.codeVerifier, client_id: client.clientId, client_secret: client.clientSecret ?? '' });
    expect(answer.status).toBe(200);
  });

  it('serves a public client with PKCE and no secret, and refuses one that sends a secret', async () => {
    const issued = await code(spa);
    const fields = { grant_type: 'authorization_code', code: issued.code, redirect_uri: spa.redirectUri, code_verifier: issued.start.codeVerifier, client_id: spa.clientId };
    expect((await token({ ...fields, client_secret: 'anything' })).status).toBe(401);
    expect((await token(fields)).status).toBe(200);
  });

  it('answers invalid_request and unsupported_grant_type for bad grant types', async () => {
    const auth = { Authorization: basic(client.clientId, client.clientSecret ?? '') };
    expect((await token({ code: 'x' }, auth)).json.error).toBe('invalid_request');
    expect((await token({ grant_type: 'password' }, auth)).json.error).toBe('unsupported_grant_type');
    expect((await token({ grant_type: 'authorization_code', redirect_uri: client.redirectUri }, auth)).json.error).toBe('invalid_request');
  });

  it('opens the token endpoint to other origins (CORS preflight)', async () => {
    const response = await fetch(`${app.config.issuer}/token`, { method: 'OPTIONS', headers: { Origin: 'https://spa.example', 'Access-Control-Request-Method': 'POST' } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
  });
});
