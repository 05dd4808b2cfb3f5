// Opaque access tokens and introspection by an API (issue 22, RFC 7662 §4): an API registered with the opaque
// format gets random strings its resource server can only introspect, with the API's lifetime. Introspection
// answers for the token's own client and for a client holding the 'introspect' grant on the API the token is for
// (the API's own credentials), never a stranger; revocation stays with the token's own client (RFC 7009 §2.1).
// Machines' tokens (no person, sub = client_id) are active without a user and refused by userinfo.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, randomId } from '../../src/auth/secrets.js';
import type { ApiRecord, UserRecord } from '../../src/store/records.js';
import { accessTokenRecord, finishAccessToken, planAccessToken } from '../../src/tokens/access-token.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { asClient, expectOAuthError, introspect, post, revoke } from '../helpers/tokens.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addApi, codeFor, grantApis, granted, introspectGrant, redeemFor, requestGrant } from './resource-helpers.js';

const ORDERS = 'https://orders.example/api';
const BILLING = 'https://billing.example/';
const INACTIVE = { active: false };

describe('opaque access tokens and introspection by an API', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let ada: UserRecord;
  let rp: TestClient;
  let billingApi: TestClient;
  let ordersApi: TestClient;
  let stranger: TestClient;
  let orders: ApiRecord;
  let billing: ApiRecord;

  const seconds = () => Math.floor(clock.now() / 1000);
  const tokensFor = async (scope: string, resources: string[]) => {
    const { code, start } = await codeFor(app, rp, new Browser(), scope, resources);
    return granted(await redeemFor(app, rp, code, start));
  };
  const userinfo = (token: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${token}` } });
  const revocations = async () => app.store.audit.list({ limit: 1000, filter: { type: 'token.revoked' } });

  /** A machine's token as the client credentials grant records it (no person: sub = client_id, no auth_time). */
  async function machineToken(client: TestClient, audience: string, format: 'jwt' | 'opaque'): Promise<string> {
    const planned = planAccessToken({
      issuer: app.config.issuer,
      audience,
      clientId: client.clientId,
      subject: client.clientId,
      scope: ['orders:read'],
      authTime: null,
      now: clock.now(),
      lifetimeSeconds: 300,
      format,
    });
    const token = await finishAccessToken(app.keyRing.signingKey, planned);
    await app.store.accessTokens.create(accessTokenRecord(planned, { grantId: randomId(), userId: null, sessionIdHash: null, kid: app.keyRing.signingKey.kid, createdAt: clock.now() }));
    return token;
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    ada = await addUser(app);
    rp = await addClient(app, { name: 'Shop' });
    billingApi = await addClient(app, { name: 'Billing API', redirectUris: ['https://billing.example/cb'] });
    ordersApi = await addClient(app, { name: 'Orders API', redirectUris: ['https://orders.example/cb'] });
    stranger = await addClient(app, { name: 'Stranger', redirectUris: ['https://stranger.example/cb'] });
    orders = await addApi(app, { name: 'Orders', identifier: ORDERS, scopes: ['orders:read'] });
    billing = await addApi(app, { name: 'Billing', identifier: BILLING, scopes: ['invoices:read'], tokenLifetime: 120, tokenFormat: 'opaque' });
    await grantApis(app, rp, [requestGrant(orders), requestGrant(billing)]);
    await grantApis(app, billingApi, [introspectGrant(billing)]);
    // Granted to request billing tokens of its own, but not to introspect billing's: that takes the introspect grant.
    await grantApis(app, ordersApi, [introspectGrant(orders), requestGrant(billing)]);
  });
  afterAll(() => app.stop());

  it('issues an opaque token with the API lifetime, recorded by its hash and signed by no key', async () => {
    const tokens = await tokensFor('openid invoices:read offline_access', [BILLING]);
    expect(tokens.access_token?.split('.')).toHaveLength(1);
    expect(tokens.expires_in).toBe(120);
    expect(tokens.scope).toBe('invoices:read');
    const record = await app.store.accessTokens.findLive(hashSecret(tokens.access_token ?? ''), clock.now());
    expect(record).toMatchObject({ format: 'opaque', kid: null, audience: BILLING, scope: 'invoices:read', userId: ada.id, clientId: rp.clientId, expiresAt: (seconds() + 120) * 1000 });
    // The ID token's at_hash is of the token handed out, opaque or not (OIDC Core §3.1.3.6).
    expect(decodeJwt(tokens.id_token ?? '').at_hash).toEqual(expect.any(String));
  });

  it('is described to the API holding the introspect grant and to its own client, from its record, and to nobody else', async () => {
    const tokens = await tokensFor('openid invoices:read', [BILLING]);
    const description = {
      active: true,
      scope: 'invoices:read',
      client_id: rp.clientId,
      sub: ada.id,
      exp: seconds() + 120,
      iat: seconds(),
      iss: app.config.issuer,
      aud: BILLING,
      token_type: 'Bearer',
      auth_time: seconds(),
    };
    expect(await introspect(app, billingApi, tokens.access_token ?? '')).toEqual(description);
    expect(await introspect(app, rp, tokens.access_token ?? '')).toEqual(description);
    expect(await introspect(app, billingApi, tokens.access_token ?? '', { token_type_hint: 'refresh_token' })).toEqual(description);
    expect(await introspect(app, stranger, tokens.access_token ?? '')).toEqual(INACTIVE);
    expect(await introspect(app, ordersApi, tokens.access_token ?? '')).toEqual(INACTIVE);
    // Userinfo takes our JWTs for it, never an API's token.
    expect((await userinfo(tokens.access_token ?? '')).status).toBe(401);
  });

  it('is inactive once expired, for the API and its client alike', async () => {
    const tokens = await tokensFor('openid invoices:read', [BILLING]);
    clock.advance(121_000);
    expect(await introspect(app, billingApi, tokens.access_token ?? '')).toEqual(INACTIVE);
    expect(await introspect(app, rp, tokens.access_token ?? '')).toEqual(INACTIVE);
  });

  it('is revoked by its own client only: the API and a stranger are refused and revoke nothing', async () => {
    const tokens = await tokensFor('openid invoices:read', [BILLING]);
    const token = tokens.access_token ?? '';
    for (const other of [billingApi, stranger]) {
      expectOAuthError(await post(app, 'revoke', { token }, asClient(other)), 400, 'unauthorized_client', 'the token was not issued to this client');
    }
    expect((await introspect(app, billingApi, token)).active).toBe(true);
    const before = (await revocations()).length;
    await revoke(app, rp, token);
    expect(await introspect(app, billingApi, token)).toEqual(INACTIVE);
    expect(await introspect(app, rp, token)).toEqual(INACTIVE);
    const events = await revocations();
    expect(events.length).toBe(before + 1);
    expect(events[0]).toMatchObject({ actor: rp.clientId, subject: ada.id, details: { client_id: rp.clientId, token_type: 'access_token' } });
    expect(JSON.stringify(events[0])).not.toContain(token);
    // Revoked and unknown alike: a second revocation is a quiet success (RFC 7009 §2.2).
    await revoke(app, rp, token);
  });

  it('lets an API introspect the JWTs minted for it, not those of another API, and never a refresh token', async () => {
    const tokens = await tokensFor('openid orders:read offline_access', [ORDERS]);
    const token = tokens.access_token ?? '';
    expect(await introspect(app, ordersApi, token)).toMatchObject({ active: true, aud: ORDERS, sub: ada.id, client_id: rp.clientId, scope: 'orders:read', jti: decodeJwt(token).jti });
    expect(await introspect(app, billingApi, token)).toEqual(INACTIVE);
    expect(await introspect(app, stranger, token)).toEqual(INACTIVE);
    expect(await introspect(app, ordersApi, tokens.refresh_token ?? '')).toEqual(INACTIVE);
    expect((await introspect(app, rp, tokens.refresh_token ?? '')).active).toBe(true);
  });

  it('an introspect grant withdrawn takes the answers with it', async () => {
    const tokens = await tokensFor('openid invoices:read', [BILLING]);
    const api = await addClient(app, { name: 'Former billing API', redirectUris: ['https://former.example/cb'] });
    await grantApis(app, api, [introspectGrant(billing)]);
    expect((await introspect(app, api, tokens.access_token ?? '')).active).toBe(true);
    await grantApis(app, api, []);
    expect(await introspect(app, api, tokens.access_token ?? '')).toEqual(INACTIVE);
  });

  describe("machines' tokens (no person)", () => {
    it('a JWT is active for its client and its API with sub = client_id and no auth_time, without any user', async () => {
      const machine = await addClient(app, { name: 'Nightly job', redirectUris: ['https://job.example/cb'] });
      const token = await machineToken(machine, ORDERS, 'jwt');
      const expected = { active: true, sub: machine.clientId, client_id: machine.clientId, aud: ORDERS, scope: 'orders:read', token_type: 'Bearer' };
      const own = await introspect(app, machine, token);
      expect(own).toMatchObject(expected);
      expect(own).not.toHaveProperty('auth_time');
      expect(await introspect(app, ordersApi, token)).toMatchObject(expected);
      expect(await introspect(app, stranger, token)).toEqual(INACTIVE);
    });

    it('an opaque one is described from its record with sub = client_id', async () => {
      const machine = await addClient(app, { name: 'Opaque job', redirectUris: ['https://opaque-job.example/cb'] });
      const token = await machineToken(machine, BILLING, 'opaque');
      const answer = await introspect(app, billingApi, token);
      expect(answer).toEqual({
        active: true,
        scope: 'orders:read',
        client_id: machine.clientId,
        sub: machine.clientId,
        exp: seconds() + 300,
        iat: seconds(),
        iss: app.config.issuer,
        aud: BILLING,
        token_type: 'Bearer',
      });
      await revoke(app, machine, token);
      expect((await revocations())[0]).toMatchObject({ actor: machine.clientId, subject: machine.clientId });
      expect(await introspect(app, billingApi, token)).toEqual(INACTIVE);
    });

    it('is refused by userinfo as invalid_token, even one recorded for the userinfo audience', async () => {
      const machine = await addClient(app, { name: 'Curious job', redirectUris: ['https://curious.example/cb'] });
      const response = await userinfo(await machineToken(machine, `${app.config.issuer}/userinfo`, 'jwt'));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token", error_description="the access token is not for a person"/);
    });
  });
});
