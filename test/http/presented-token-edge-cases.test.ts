// Presented tokens at UserInfo (OIDC Core §5.3, RFC 6750), introspection (RFC 7662) and revocation (RFC 7009):
// how the bearer token may be sent, what a refusal says, and the binding between a signed access token and the
// record of its jti, which holds even for a token signed with our own key.
import { request } from 'node:http';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { signJwt } from '../../src/tokens/sign-jwt.js';
import { ACCESS_TOKEN_TYPE } from '../../src/tokens/access-token.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { asClient, expectOAuthError, introspect, post, revoke } from '../helpers/tokens.js';

describe('presented tokens: edge cases', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let ada: UserRecord;
  let grace: UserRecord;
  let url: string;

  const tokens = (scope = 'openid email offline_access'): Promise<Tokens> => tokensFor(app, client, new Browser(), scope);
  const userinfo = (headers: Record<string, string>, init: RequestInit = {}) => fetch(url, { ...init, headers });
  const form = (body: string, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body });
  /** The access token's own claims changed, signed again with our active key: genuine in every way but the change. */
  const resigned = (accessToken: string, change: Record<string, unknown>) => signJwt(app.keyRing.signingKey, { ...decodeJwt(accessToken), ...change }, ACCESS_TOKEN_TYPE);

  beforeAll(async () => {
    app = await startApp({ clock });
    url = `${app.config.issuer}/userinfo`;
    ada = await addUser(app);
    grace = await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
  });
  afterAll(() => app.stop());

  describe('sending the bearer token to UserInfo (RFC 6750 §2)', () => {
    it('accepts more than one space between Bearer and the token (§2.1: "Bearer" 1*SP b64token)', async () => {
      const { access_token } = await tokens();
      const response = await userinfo({ Authorization: `Bearer   ${access_token}` });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { sub: string }).sub).toBe(ada.id);
    });

    it('treats an Authorization header of another scheme as no token: 401 with a bare Bearer challenge', async () => {
      const { access_token } = await tokens();
      for (const scheme of ['NotBearer', 'XBearer']) {
        const response = await userinfo({ Authorization: `${scheme} ${access_token}` });
        expect([response.status, response.headers.get('www-authenticate')], scheme).toEqual([401, 'Bearer realm="gatehouse"']);
      }
    });

    it('answers 400 invalid_request to access_token sent twice in the form body (RFC 6749 §3.1)', async () => {
      const { access_token } = await tokens();
      const response = await form(`access_token=${access_token}&access_token=${access_token}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain('access_token');
    });

    it('ignores an access_token in the body of a GET, which has no body semantics (§2.2: GET MUST NOT be used)', async () => {
      const { access_token } = await tokens();
      const body = `access_token=${access_token}`;
      const answer = await new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
        const req = request(url, { method: 'GET', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer).toEqual({ status: 401, challenge: 'Bearer realm="gatehouse"' });
    });
  });

  describe('UserInfo refusals say what is wrong (RFC 6750 §3)', () => {
    const description = async (response: Response) => ((await response.json()) as { error_description?: string }).error_description ?? '';

    it('says a token is required when there is none, and that a token was sent twice when it came in both the header and the body', async () => {
      expect(await description(await userinfo({}))).toContain('access token is required');
      const { access_token } = await tokens();
      expect(await description(await form(`access_token=${access_token}`, { Authorization: `Bearer ${access_token}` }))).toContain('more than one way');
    });

    it('says a revoked token was revoked, and that the token of a disabled user is no longer valid', async () => {
      const issued = await tokens();
      await revoke(app, client, issued.access_token);
      expect(await description(await userinfo({ Authorization: `Bearer ${issued.access_token}` }))).toBe('the access token has been revoked');
      const linus = await addUser(app, 'linus@example.com');
      const his = await tokensFor(app, client, new Browser(), 'openid', 'linus@example.com');
      await app.store.users.update(linus.id, { disabled: true }, clock.now());
      expect(await description(await userinfo({ Authorization: `Bearer ${his.access_token}` }))).toBe('the access token is no longer valid');
    });

    it('describes an expired token as expired, and a malformed one as not valid', async () => {
      const { access_token } = await tokens();
      clock.advance(app.config.lifetimes.accessToken * 1000);
      const expired = await userinfo({ Authorization: `Bearer ${access_token}` });
      expect(expired.status).toBe(401);
      expect(expired.headers.get('www-authenticate')).toContain('error_description="the access token has expired"');
      const garbage = await userinfo({ Authorization: 'Bearer garbage' });
      expect(garbage.headers.get('www-authenticate')).toContain('error_description="the access token is not valid"');
    });
  });

  describe('a signed access token is only as good as the record of its jti', () => {
    it('refuses, at every endpoint, a token signed with our key whose sub is not the person its jti was recorded for', async () => {
      const issued = await tokens();
      const swapped = await resigned(issued.access_token, { sub: grace.id });
      const response = await userinfo({ Authorization: `Bearer ${swapped}` });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
      expect(await introspect(app, client, swapped)).toEqual({ active: false });
      await revoke(app, client, swapped);
      expect((await userinfo({ Authorization: `Bearer ${issued.access_token}` })).status).toBe(200);
      expect((await introspect(app, client, issued.access_token)).active).toBe(true);
    });

    it('refuses at UserInfo a token signed with our key for another audience, of another type, from another issuer, or with no jti (RFC 9068 §4)', async () => {
      const issued = await tokens();
      const header = (token: string) => ({ Authorization: `Bearer ${token}` });
      const claims = decodeJwt(issued.access_token);
      const { jti: _jti, ...withoutJti } = claims;
      const variants = {
        'another audience': await resigned(issued.access_token, { aud: client.clientId }),
        'typ JWT': await signJwt(app.keyRing.signingKey, claims, 'JWT'),
        'another issuer': await resigned(issued.access_token, { iss: 'https://elsewhere.example' }),
        'no jti': await signJwt(app.keyRing.signingKey, withoutJti, ACCESS_TOKEN_TYPE),
      };
      const statuses: Record<string, number> = {};
      for (const [name, token] of Object.entries(variants)) statuses[name] = (await userinfo(header(token))).status;
      expect(statuses).toEqual(Object.fromEntries(Object.keys(variants).map((name) => [name, 401])));
      expect((await userinfo(header(issued.access_token))).status).toBe(200);
    });

    it('calls a token signed with our key but of another type (an ID token is typ JWT) inactive, and revokes nothing with it', async () => {
      const issued = await tokens();
      const typed = await signJwt(app.keyRing.signingKey, decodeJwt(issued.access_token), 'JWT');
      expect(await introspect(app, client, typed)).toEqual({ active: false });
      await revoke(app, client, typed);
      expect((await introspect(app, client, issued.access_token)).active).toBe(true);
    });

    it('releases only sub at UserInfo for a token signed with our key that carries no scope', async () => {
      const issued = await tokens();
      const { scope: _scope, ...rest } = decodeJwt(issued.access_token);
      const bare = await signJwt(app.keyRing.signingKey, rest, ACCESS_TOKEN_TYPE);
      const response = await userinfo({ Authorization: `Bearer ${bare}` });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: ada.id });
    });

    it('refuses a token signed with our key whose client_id is not the client its jti was recorded for', async () => {
      const issued = await tokens();
      const moved = await resigned(issued.access_token, { client_id: other.clientId });
      expect(await introspect(app, other, moved)).toEqual({ active: false });
      await revoke(app, other, moved);
      expect((await introspect(app, client, issued.access_token)).active).toBe(true);
    });

    it('answers 200 and revokes nothing for a token signed with our key that lacks client_id, jti or sub, and calls none of them active', async () => {
      const issued = await tokens();
      const claims = decodeJwt(issued.access_token);
      for (const missing of ['client_id', 'jti', 'sub'] as const) {
        const { [missing]: _dropped, ...rest } = claims;
        const token = await signJwt(app.keyRing.signingKey, rest, ACCESS_TOKEN_TYPE);
        await revoke(app, client, token);
        expect(await introspect(app, client, token), missing).toEqual({ active: false });
      }
      expect((await introspect(app, client, issued.access_token)).active).toBe(true);
    });
  });

  describe('token_type_hint (RFC 7009 §2.1, RFC 7662 §2.1)', () => {
    it('answers invalid_request to token_type_hint sent twice, at revocation and introspection (RFC 6749 §3.1)', async () => {
      const issued = await tokens();
      for (const endpoint of ['revoke', 'introspect'] as const) {
        const answer = await post(app, endpoint, `token=${issued.refresh_token}&token_type_hint=refresh_token&token_type_hint=access_token`, asClient(client));
        expectOAuthError(answer, 400, 'invalid_request', 'token_type_hint is included more than once');
      }
      expect((await introspect(app, client, issued.refresh_token)).active).toBe(true);
    });
  });

  describe('revocation audit (RFC 7009 §2.1)', () => {
    it('records the address the revocation came from', async () => {
      const issued = await tokens();
      await revoke(app, client, issued.refresh_token);
      const [event] = (await app.store.audit.list({ limit: 5 })).filter((e) => e.type === 'token.revoked');
      expect(event?.ip).toMatch(/127\.0\.0\.1$/);
    });
  });
});
