// Token revocation (RFC 7009) over real HTTP: what each revocation kills, what it leaves alone, who may ask,
// and that a refused request changes nothing.
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { forgeries } from '../helpers/forged-tokens.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { basic, expectRefused, family, refresh, stored, tokensFor, type Tokens } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { asClient, expectOAuthError, introspect, post, publicClientTokens, revoke, snapshot } from '../helpers/tokens.js';

describe('token revocation (RFC 7009)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  let spa: TestClient;
  let ada: UserRecord;

  const tokens = (scope = 'openid offline_access'): Promise<Tokens> => tokensFor(app, client, new Browser(), scope);
  const userinfo = async (accessToken: string) => (await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;
  const revocations = async () => (await app.store.audit.list({ limit: 1000 })).filter((event) => event.type === 'token.revoked');

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
    expect(metadata.revocation_endpoint).toBe(`${app.config.issuer}/revoke`);
    expect(metadata.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  });

  describe('revocation request (§2.1)', () => {
    it('revokes a refresh token with its whole grant: every refresh and access token of the grant stops working, audited without the token', async () => {
      const first = await tokens();
      const second = await refresh(app, client, first.refresh_token);
      expect(second.status, JSON.stringify(second.json)).toBe(200);
      const { grantId } = await stored(app, first.refresh_token);
      await revoke(app, client, second.json.refresh_token ?? '');
      expectRefused(await refresh(app, client, second.json.refresh_token ?? ''), 'invalid_grant', 'the refresh token has been revoked');
      for (const accessToken of [first.access_token, second.json.access_token ?? '']) {
        expect(await userinfo(accessToken)).toBe(401);
        expect(await introspect(app, client, accessToken)).toEqual({ active: false });
      }
      expect(await introspect(app, client, second.json.refresh_token ?? '')).toEqual({ active: false });
      expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
      const [event] = await revocations();
      expect(event).toMatchObject({
        type: 'token.revoked',
        actor: client.clientId,
        subject: ada.id,
        details: { client_id: client.clientId, token_type: 'refresh_token', grant_id: grantId },
      });
      expect(JSON.stringify(event)).not.toContain(second.json.refresh_token);
    });

    it("revokes an access token alone: it stops working while the grant's other access token and its refresh token stay active", async () => {
      const first = await tokens();
      const second = await refresh(app, client, first.refresh_token);
      expect(second.status, JSON.stringify(second.json)).toBe(200);
      const { grantId } = await stored(app, first.refresh_token);
      await revoke(app, client, first.access_token);
      expect(await userinfo(first.access_token)).toBe(401);
      expect(await introspect(app, client, first.access_token)).toEqual({ active: false });
      expect(await userinfo(second.json.access_token ?? '')).toBe(200);
      expect((await introspect(app, client, second.json.refresh_token ?? '')).active).toBe(true);
      expect(await family(app, grantId)).toEqual({ refresh: { live: 1, rotated: 1, revoked: 0 }, access: { live: 1, revoked: 1 } });
      expect((await revocations())[0]).toMatchObject({
        actor: client.clientId,
        subject: ada.id,
        details: { client_id: client.clientId, token_type: 'access_token', grant_id: grantId },
      });
      expect((await refresh(app, client, second.json.refresh_token ?? '')).status).toBe(200);
    });

    it('finds the token when token_type_hint names the other type, and ignores a hint it does not know (§2.1)', async () => {
      const hinted = await tokens();
      await revoke(app, client, hinted.refresh_token, { token_type_hint: 'access_token' });
      expect((await stored(app, hinted.refresh_token)).revokedAt).not.toBeNull();
      const access = await tokens();
      await revoke(app, client, access.access_token, { token_type_hint: 'refresh_token' });
      expect(await userinfo(access.access_token)).toBe(401);
      const unknownHint = await tokens();
      await revoke(app, client, unknownHint.access_token, { token_type_hint: 'id_token' });
      expect(await userinfo(unknownHint.access_token)).toBe(401);
    });

    it('lets a public client revoke its own token with its client_id alone', async () => {
      const issued = await publicClientTokens(app, spa, new Browser(), 'openid offline_access');
      const answer = await post(app, 'revoke', { token: issued.refresh_token, client_id: spa.clientId });
      expect([answer.status, answer.text]).toEqual([200, '']);
      expect((await stored(app, issued.refresh_token)).revokedAt).not.toBeNull();
      expect(await userinfo(issued.access_token)).toBe(401);
    });

    it('serves openid-client, a certified relying-party library, whose revoked refresh token is then refused', async () => {
      const issued = await tokens();
      await oidc.tokenRevocation(client.config, issued.refresh_token, { token_type_hint: 'refresh_token' });
      expect((await stored(app, issued.refresh_token)).revokedAt).not.toBeNull();
      expectRefused(await refresh(app, client, issued.refresh_token), 'invalid_grant', 'the refresh token has been revoked');
    });
  });

  describe('revocation response (§2.2)', () => {
    it('refuses with unauthorized_client to revoke a token issued to another client, and revokes nothing', async () => {
      const issued = await tokens();
      const before = await snapshot(app, issued.refresh_token);
      for (const token of [issued.refresh_token, issued.access_token]) {
        const answer = await post(app, 'revoke', { token }, asClient(other));
        expectOAuthError(answer, 400, 'unauthorized_client', 'the token was not issued to this client');
      }
      expect(await snapshot(app, issued.refresh_token)).toEqual(before);
      expect(await userinfo(issued.access_token)).toBe(200);
      expect((await refresh(app, client, issued.refresh_token)).status).toBe(200);
    });

    // The forgeries carry a live token's claims (its jti is in the store): only the signature check stops them
    // from revoking it.
    it("answers 200 and revokes nothing for a live access token's own claims signed by a key that is not ours, with alg none, or with HS256 keyed by our public key", async () => {
      const issued = await tokens();
      const before = await snapshot(app, issued.refresh_token);
      const forged = await forgeries(issued.access_token, app.keyRing.signingKey.publicJwk);
      expect(forged.length).toBeGreaterThanOrEqual(7);
      for (const { token } of forged) {
        await revoke(app, client, token);
        await revoke(app, client, token, { token_type_hint: 'access_token' });
      }
      expect(await snapshot(app, issued.refresh_token)).toEqual(before);
      expect(await userinfo(issued.access_token)).toBe(200);
    });

    it('answers 200 and changes nothing for an unknown string, a malformed JWT, a JWT with a signature of junk, and an ID token, which are not tokens it can revoke', async () => {
      const issued = await tokens();
      const before = await snapshot(app, issued.refresh_token);
      const [header, payload] = issued.access_token.split('.');
      const forged = `${header}.${payload}.${'A'.repeat(342)}`;
      for (const token of ['no-such-token', 'a.b.c', forged, issued.id_token]) await revoke(app, client, token);
      expect(await snapshot(app, issued.refresh_token)).toEqual(before);
      expect(await userinfo(issued.access_token)).toBe(200);
    });

    it('answers 200 to a token already revoked, and records the revocation only once', async () => {
      const issued = await tokens();
      const count = (await revocations()).length;
      await revoke(app, client, issued.refresh_token);
      await revoke(app, client, issued.refresh_token);
      await revoke(app, client, issued.access_token);
      expect((await revocations()).length).toBe(count + 1);
    });

    it('answers 200 to an expired access token and changes nothing', async () => {
      const issued = await tokens();
      clock.advance(app.config.lifetimes.accessToken * 1000);
      const before = await snapshot(app, issued.refresh_token);
      await revoke(app, client, issued.access_token);
      expect(await snapshot(app, issued.refresh_token)).toEqual(before);
    });

    it('still tells another client that an expired access token is not its own', async () => {
      const issued = await tokens();
      clock.advance(app.config.lifetimes.accessToken * 1000);
      expect(decodeJwt(issued.access_token).exp).toBeLessThanOrEqual(Math.floor(clock.now() / 1000));
      const answer = await post(app, 'revoke', { token: issued.access_token }, asClient(other));
      expectOAuthError(answer, 400, 'unauthorized_client', 'the token was not issued to this client');
    });
  });

  describe('refused requests (§2.2.1, RFC 6749 §5.2)', () => {
    it('answers invalid_request when token is missing or empty, and when it is sent twice, and revokes nothing', async () => {
      const issued = await tokens();
      const before = await snapshot(app, issued.refresh_token);
      expectOAuthError(await post(app, 'revoke', {}, asClient(client)), 400, 'invalid_request', 'token is missing');
      expectOAuthError(await post(app, 'revoke', { token: '' }, asClient(client)), 400, 'invalid_request', 'token is missing');
      const twice = `token=${issued.refresh_token}&token=${issued.access_token}`;
      expectOAuthError(await post(app, 'revoke', twice, asClient(client)), 400, 'invalid_request', 'token is included more than once');
      expect(await snapshot(app, issued.refresh_token)).toEqual(before);
    });

    it('authenticates the client first: 401 invalid_client without credentials, to an unknown client or a wrong secret, with a Basic challenge when Basic was used, and revokes nothing', async () => {
      const issued = await tokens();
      const before = await snapshot(app, issued.refresh_token);
      const [last] = await app.store.audit.list({ limit: 1 });
      const anonymous = await post(app, 'revoke', { token: issued.refresh_token });
      expectOAuthError(anonymous, 401, 'invalid_client', 'client authentication is required');
      expect(anonymous.headers.get('www-authenticate')).toBeNull();
      const unknown = await post(app, 'revoke', { token: issued.refresh_token, client_id: 'nobody', client_secret: 'secret' });
      expectOAuthError(unknown, 401, 'invalid_client', 'client authentication failed');
      expect(unknown.headers.get('www-authenticate')).toBeNull();
      const wrong = await post(app, 'revoke', { token: issued.refresh_token }, { Authorization: basic(client.clientId, 'wrong-secret') });
      expectOAuthError(wrong, 401, 'invalid_client', 'client authentication failed');
      expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="gatehouse"');
      expect((await snapshot(app, issued.refresh_token)).family).toEqual(before.family);
      // The failed authentications are audited (client_auth.failed), and nothing else was written.
      const fresh = (await app.store.audit.list({ limit: 20 })).filter((event) => event.id > (last?.id ?? 0));
      expect(fresh.map((event) => event.type)).toEqual(['client_auth.failed', 'client_auth.failed']);
    });

    it('never writes the presented token to the log, whether it revokes it or refuses the request', async () => {
      const issued = await tokens();
      await post(app, 'revoke', { token: issued.access_token }, asClient(other));
      await post(app, 'revoke', `token=${issued.refresh_token}&token=x`, asClient(client));
      await revoke(app, client, issued.refresh_token);
      const logs = JSON.stringify(app.logs);
      expect(logs).toContain('/revoke');
      expect(logs).not.toContain(issued.refresh_token);
      expect(logs).not.toContain(issued.access_token);
    });
  });
});
