// Token introspection (RFC 7662) over real HTTP: a client learns whether its own tokens are active, and
// nothing at all about anyone else's, nor why a token is inactive.
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { alteredClaims, forgeries } from '../helpers/forged-tokens.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { basic, refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { asClient, expectOAuthError, introspect, post, publicClientTokens, revoke } from '../helpers/tokens.js';

const INACTIVE = { active: false };

describe('token introspection (RFC 7662)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let spa: TestClient;
  let ada: UserRecord;

  const tokens = (scope = 'openid email offline_access', email = 'ada@example.com'): Promise<Tokens> => tokensFor(app, client, new Browser(), scope, email);
  const inspect = (token: string, extra: Record<string, string> = {}) => introspect(app, client, token, extra);
  const seconds = () => Math.floor(clock.now() / 1000);

  beforeAll(async () => {
    app = await startApp({ clock });
    ada = await addUser(app);
    client = await addClient(app);
    other = await addClient(app, { name: 'Other', redirectUris: ['https://other.example/cb'] });
    spa = await addClient(app, { name: 'SPA', redirectUris: ['https://spa.example/'], isPublic: true });
  });
  afterAll(() => app.stop());

  it('is advertised by discovery with the client authentication methods it accepts (RFC 8414 §2)', async () => {
    const metadata = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.introspection_endpoint).toBe(`${app.config.issuer}/introspect`);
    expect(metadata.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  });

  describe('active tokens (§2.2)', () => {
    it('describes an active access token with active, scope, client_id, sub, exp, iat, iss, aud, jti, token_type Bearer and auth_time, in an answer no cache may keep', async () => {
      const issued = await tokens();
      const answer = await post(app, 'introspect', { token: issued.access_token }, asClient(client));
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('pragma')).toBe('no-cache');
      expect(JSON.parse(answer.text)).toEqual({
        active: true,
        scope: 'openid email offline_access',
        client_id: client.clientId,
        sub: ada.id,
        exp: seconds() + app.config.lifetimes.accessToken,
        iat: seconds(),
        iss: app.config.issuer,
        aud: `${app.config.issuer}/userinfo`,
        jti: decodeJwt(issued.access_token).jti,
        token_type: 'Bearer',
        auth_time: seconds(),
      });
    });

    it('describes an active refresh token with active, scope, client_id, sub, exp (its idle deadline), iat, iss and token_type refresh_token', async () => {
      const issued = await tokens();
      expect(await inspect(issued.refresh_token)).toEqual({
        active: true,
        scope: 'openid email offline_access',
        client_id: client.clientId,
        sub: ada.id,
        exp: seconds() + app.config.lifetimes.refreshTokenIdle,
        iat: seconds(),
        iss: app.config.issuer,
        token_type: 'refresh_token',
      });
    });

    it('finds the token when token_type_hint names the other type, and ignores a hint it does not know (§2.1)', async () => {
      const issued = await tokens();
      expect(await inspect(issued.refresh_token, { token_type_hint: 'access_token' })).toMatchObject({ active: true, token_type: 'refresh_token' });
      expect(await inspect(issued.access_token, { token_type_hint: 'refresh_token' })).toMatchObject({ active: true, token_type: 'Bearer' });
      expect(await inspect(issued.access_token, { token_type_hint: 'id_token' })).toMatchObject({ active: true, token_type: 'Bearer' });
    });

    it('answers a public client that authenticates with its client_id alone about its own token', async () => {
      const issued = await publicClientTokens(app, spa, new Browser(), 'openid offline_access');
      const answer = await post(app, 'introspect', { token: issued.refresh_token, client_id: spa.clientId });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ active: true, client_id: spa.clientId, token_type: 'refresh_token' });
    });

    it('serves openid-client, a certified relying-party library', async () => {
      const issued = await tokens();
      const answer = await oidc.tokenIntrospection(client.config, issued.access_token, { token_type_hint: 'access_token' });
      expect(answer).toMatchObject({ active: true, client_id: client.clientId, sub: ada.id, token_type: 'Bearer' });
      expect(await oidc.tokenIntrospection(client.config, 'no-such-token')).toEqual(INACTIVE);
    });
  });

  describe('inactive tokens: {"active": false} and nothing else (§2.2)', () => {
    it('for an access token once it is revoked, while the refresh token stays active', async () => {
      const issued = await tokens();
      await revoke(app, client, issued.access_token);
      expect(await inspect(issued.access_token)).toEqual(INACTIVE);
      expect((await inspect(issued.refresh_token)).active).toBe(true);
    });

    it('for a refresh token once it is revoked, and for the access tokens of its grant', async () => {
      const issued = await tokens();
      await revoke(app, client, issued.refresh_token);
      expect(await inspect(issued.refresh_token)).toEqual(INACTIVE);
      expect(await inspect(issued.access_token)).toEqual(INACTIVE);
    });

    it('for a refresh token spent by rotation, while its successor is active (RFC 9700 §4.14.2)', async () => {
      const issued = await tokens();
      const rotated = await refresh(app, client, issued.refresh_token);
      expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
      expect(await inspect(issued.refresh_token)).toEqual(INACTIVE);
      expect((await inspect(rotated.json.refresh_token ?? '')).active).toBe(true);
    });

    it('for an access token at the end of its lifetime, and for a refresh token at the end of its idle lifetime', async () => {
      const issued = await tokens();
      clock.advance(app.config.lifetimes.accessToken * 1000);
      expect(await inspect(issued.access_token)).toEqual(INACTIVE);
      expect((await inspect(issued.refresh_token)).active).toBe(true);
      clock.advance((app.config.lifetimes.refreshTokenIdle - app.config.lifetimes.accessToken) * 1000);
      expect(await inspect(issued.refresh_token)).toEqual(INACTIVE);
    });

    it('for a refresh token bound to a sign-in session that has ended, while one granted offline_access outlives it (OIDC Core §11)', async () => {
      const bound = await tokens('openid email');
      const offline = await tokens('openid email offline_access');
      expect((await inspect(bound.refresh_token)).active).toBe(true);
      clock.advance(app.config.lifetimes.sessionIdle * 1000);
      expect(await inspect(bound.refresh_token)).toEqual(INACTIVE);
      expect((await inspect(offline.refresh_token)).active).toBe(true);
    });

    it('for every token of a user disabled after they were issued, even before anything revoked them', async () => {
      const grace = await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
      const issued = await tokens('openid email offline_access', 'grace@example.com');
      await app.store.users.update(grace.id, { disabled: true }, clock.now());
      expect(await inspect(issued.access_token)).toEqual(INACTIVE);
      expect(await inspect(issued.refresh_token)).toEqual(INACTIVE);
      await app.store.users.update(grace.id, { disabled: false }, clock.now());
      expect((await inspect(issued.access_token)).active).toBe(true);
    });

    it('for every token of a user deleted after they were issued', async () => {
      const leaver = await addUser(app, 'leaver@example.com', { name: 'Leaver' });
      const issued = await tokens('openid email offline_access', 'leaver@example.com');
      expect(await app.store.users.delete(leaver.id)).toBe(true);
      expect(await inspect(issued.access_token)).toEqual(INACTIVE);
      expect(await inspect(issued.refresh_token)).toEqual(INACTIVE);
    });

    it('for tokens issued to another client, which learns nothing about them', async () => {
      const issued = await tokens();
      expect(await introspect(app, other, issued.access_token)).toEqual(INACTIVE);
      expect(await introspect(app, other, issued.refresh_token)).toEqual(INACTIVE);
      expect((await inspect(issued.access_token)).active).toBe(true);
    });

    // The forgeries carry a live token's claims (its jti is in the store): only the signature check refuses them.
    it("for a live access token's own claims signed by a key that is not ours, with alg none, with HS256 keyed by our public key, or altered under its signature", async () => {
      const issued = await tokens();
      const forged = [
        ...(await forgeries(issued.access_token, app.keyRing.signingKey.publicJwk)),
        { name: 'the scope widened under its own signature', token: alteredClaims(issued.access_token, (claims) => ({ ...claims, scope: 'openid email profile offline_access' })) },
      ];
      expect(forged.length).toBeGreaterThanOrEqual(8);
      const answers: Record<string, unknown> = {};
      for (const { name, token } of forged) answers[name] = [await inspect(token), await inspect(token, { token_type_hint: 'access_token' })];
      expect(answers).toEqual(Object.fromEntries(forged.map(({ name }) => [name, [INACTIVE, INACTIVE]])));
      expect(await inspect(issued.access_token)).toMatchObject({ active: true, scope: 'openid email offline_access' });
    });

    it('for an unknown string, a malformed JWT, a JWT with a signature of junk, and an ID token', async () => {
      const issued = await tokens();
      const [header, payload] = issued.access_token.split('.');
      for (const token of ['no-such-token', 'x.y.z', `${header}.${payload}.${'A'.repeat(342)}`, issued.id_token]) {
        expect(await inspect(token)).toEqual(INACTIVE);
      }
    });
  });

  describe('refused requests (§2.3, RFC 6749 §5.2)', () => {
    it('answers invalid_request when token is missing or sent twice', async () => {
      const issued = await tokens();
      expectOAuthError(await post(app, 'introspect', {}, asClient(client)), 400, 'invalid_request', 'token is missing');
      const twice = `token=${issued.access_token}&token=${issued.refresh_token}`;
      expectOAuthError(await post(app, 'introspect', twice, asClient(client)), 400, 'invalid_request', 'token is included more than once');
      expect((await inspect(issued.access_token)).active).toBe(true);
    });

    it('authenticates the client first: 401 invalid_client without credentials, and with a Basic challenge to a wrong secret', async () => {
      const issued = await tokens();
      const anonymous = await post(app, 'introspect', { token: issued.access_token });
      expectOAuthError(anonymous, 401, 'invalid_client', 'client authentication is required');
      expect(anonymous.headers.get('www-authenticate')).toBeNull();
      const wrong = await post(app, 'introspect', { token: issued.access_token }, { Authorization: basic(client.clientId, 'wrong-secret') });
      expectOAuthError(wrong, 401, 'invalid_client', 'client authentication failed');
      expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
      expect((await inspect(issued.access_token)).active).toBe(true);
    });
  });
});
