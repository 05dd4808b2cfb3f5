// Resource indicators (RFC 8707, issue 22) in the authorization code flow, over real HTTP with openid-client: an
// access token for an API has the API's identifier as `aud` (verified by jose as a resource server would, RFC 9068)
// and only the API's scopes the client was granted; anything else named is refused (invalid_target, invalid_scope)
// by redirect at /authorize and in JSON at /token, and nothing is issued. A client that names no resource gets what
// it got before (the userinfo audience).
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { ApiRecord, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { expectRefused } from '../helpers/refresh.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addApi, callbackFor, codeFor, grantApis, granted, redeemFor, requestGrant, resourceAuthorization } from './resource-helpers.js';

const ORDERS = 'https://orders.example/api';
const BILLING = 'https://billing.example/';
const BATCH = 'https://batch.example/';
const HR = 'https://hr.example/';

describe('resource indicators in the authorization code flow (RFC 8707)', () => {
  let app: RunningApp;
  let ada: UserRecord;
  let rp: TestClient;
  let plain: TestClient;
  let orders: ApiRecord;
  let billing: ApiRecord;

  const jwks = () => createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`));
  /** Rows a refused request must not have written: pending requests, codes and access tokens. */
  const written = () => countRows(app, 'SELECT (SELECT count(*) FROM authorization_requests) + (SELECT count(*) FROM authorization_codes) + (SELECT count(*) FROM access_tokens) AS n');
  const userinfoStatus = async (token: string) => (await fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    app = await startApp();
    ada = await addUser(app);
    rp = await addClient(app, { name: 'Orders app' });
    plain = await addClient(app, { name: 'Plain app', redirectUris: ['https://plain.example/cb'] });
    orders = await addApi(app, { name: 'Orders', identifier: ORDERS, scopes: ['orders:read', 'orders:write'] });
    billing = await addApi(app, { name: 'Billing', identifier: BILLING, scopes: ['invoices:read'], tokenLifetime: 120, tokenFormat: 'opaque' });
    const batch = await addApi(app, { name: 'Batch', identifier: BATCH, scopes: ['jobs:run'], accepts: 'machines' });
    await addApi(app, { name: 'HR', identifier: HR, scopes: ['staff:read'] });
    // Orders: read only; billing: all it defines; batch: granted, but it takes machines' tokens only. HR: not granted.
    await grantApis(app, rp, [requestGrant(orders, ['orders:read']), requestGrant(billing), requestGrant(batch)]);
  });
  afterAll(() => app.stop());

  describe('a token for one API', () => {
    it('has the API identifier as aud, typ at+jwt, and the granted API scopes only; openid-client redeems it with an ID token', async () => {
      const start = await resourceAuthorization(rp, 'openid email orders:read offline_access', [ORDERS]);
      const callback = await signIn(new Browser(), app, start, 'ada@example.com');
      const tokens = await oidc.authorizationCodeGrant(
        rp.config,
        callback,
        { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce },
        { resource: ORDERS },
      );
      expect(tokens.scope).toBe('orders:read');
      expect(tokens.expires_in).toBe(app.config.lifetimes.accessToken);
      expect(tokens.claims()).toMatchObject({ sub: ada.id, aud: rp.clientId, email: 'ada@example.com' });
      expect(tokens.refresh_token).toEqual(expect.any(String));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks(), { issuer: app.config.issuer, audience: ORDERS, typ: 'at+jwt' });
      expect(protectedHeader.typ).toBe('at+jwt');
      expect(payload).toMatchObject({ sub: ada.id, client_id: rp.clientId, scope: 'orders:read', aud: ORDERS });
      expect(payload.auth_time).toEqual(expect.any(Number));
      // A token for the orders API is no token for the userinfo endpoint.
      expect(await userinfoStatus(tokens.access_token)).toBe(401);
      // The refresh token keeps the grant's resources and its whole scope, for the next refresh to choose from.
      const record = await app.store.refreshTokens.find(hashSecret(tokens.refresh_token ?? ''));
      expect(record?.resources).toEqual([ORDERS]);
      expect(record?.scope).toBe('openid email orders:read offline_access');
    });

    it("is for the grant's only resource when the token request names none", async () => {
      const { code, start } = await codeFor(app, rp, new Browser(), 'openid orders:read', [ORDERS]);
      const answer = granted(await redeemFor(app, rp, code, start));
      expect(decodeJwt(answer.access_token ?? '')).toMatchObject({ aud: ORDERS, scope: 'orders:read' });
      expect(answer.id_token).toEqual(expect.any(String));
    });

    it('drops scopes nobody defines, keeps the OpenID Connect scopes for the ID token, and gives an API token with no API scope asked an empty scope', async () => {
      const { code, start } = await codeFor(app, rp, new Browser(), 'openid profile made-up', [ORDERS]);
      const answer = granted(await redeemFor(app, rp, code, start, [ORDERS]));
      expect(answer.scope).toBe('');
      expect(decodeJwt(answer.access_token ?? '')).toMatchObject({ aud: ORDERS, scope: '' });
      expect(decodeJwt(answer.id_token ?? '')).toMatchObject({ name: 'Ada Lovelace' });
    });

    it('keeps the resources of a request waiting for the login form (the pending request) on its code', async () => {
      const start = await resourceAuthorization(rp, 'openid invoices:read', [BILLING]);
      const browser = new Browser();
      const login = await open(browser, app, start.url);
      expect(login.status).toBe(200);
      const callback = await callbackFor(app, browser, start);
      const answer = granted(await redeemFor(app, rp, callback.searchParams.get('code') ?? '', start));
      expect(answer.scope).toBe('invoices:read');
    });
  });

  describe('refusals at /authorize: by redirect to the client, nothing stored', () => {
    const refusals: [string, () => { scope: string; resources: string[] }, string, string][] = [
      ['an unknown resource', () => ({ scope: 'openid', resources: ['https://nowhere.example/'] }), 'invalid_target', 'the resource is not an API this client may request tokens for'],
      ['an API not granted to the client', () => ({ scope: 'openid', resources: [HR] }), 'invalid_target', 'the resource is not an API this client may request tokens for'],
      [
        'one unknown resource among granted ones',
        () => ({ scope: 'openid', resources: [ORDERS, 'https://nowhere.example/'] }),
        'invalid_target',
        'the resource is not an API this client may request tokens for',
      ],
      ['an API that accepts only machines', () => ({ scope: 'openid', resources: [BATCH] }), 'invalid_target', 'this API accepts only tokens for machine clients'],
      ['a resource with a fragment', () => ({ scope: 'openid', resources: [`${ORDERS}#x`] }), 'invalid_target', 'resource must not include a fragment'],
      ['a relative resource', () => ({ scope: 'openid', resources: ['/orders'] }), 'invalid_target', 'resource must be an absolute URI'],
      [
        'an API scope the client was not granted',
        () => ({ scope: 'openid orders:read orders:write', resources: [ORDERS] }),
        'invalid_scope',
        'scope orders:write is not granted to this client for the resources named',
      ],
    ];
    it.each(refusals)('refuses %s', async (_name, request, error, description) => {
      const before = await written();
      const { scope, resources } = request();
      const start = await resourceAuthorization(rp, scope, resources);
      const page = await new Browser().get(start.url.toString());
      expect(page.status, page.body).toBe(303);
      const location = new URL(page.location ?? '');
      expect(location.origin + location.pathname).toBe(rp.redirectUri);
      expect(Object.fromEntries(location.searchParams)).toEqual({ error, error_description: description, state: start.state, iss: app.config.issuer });
      expect(await written()).toBe(before);
    });

    it('refuses before a session answers too: a signed-in browser gets the same redirect and no code', async () => {
      const browser = new Browser();
      await codeFor(app, rp, browser, 'openid', [ORDERS]);
      const before = await written();
      const start = await resourceAuthorization(rp, 'openid', [HR]);
      const page = await browser.get(start.url.toString());
      expect(new URL(page.location ?? '').searchParams.get('error')).toBe('invalid_target');
      expect(await written()).toBe(before);
    });
  });

  describe('refusals at /token: JSON, nothing issued, the code left for a corrected request', () => {
    it('refuses a resource the authorization request did not name (invalid_target), then redeems the code for its own', async () => {
      const { code, start } = await codeFor(app, rp, new Browser(), 'openid orders:read invoices:read', [ORDERS]);
      const tokensBefore = await countRows(app, 'SELECT count(*) AS n FROM access_tokens');
      expectRefused(await redeemFor(app, rp, code, start, [BILLING]), 'invalid_target', 'the resource was not named when this grant was authorized');
      expectRefused(await redeemFor(app, rp, code, start, [HR]), 'invalid_target', 'the resource was not named when this grant was authorized');
      expect(await countRows(app, 'SELECT count(*) AS n FROM access_tokens')).toBe(tokensBefore);
      const answer = granted(await redeemFor(app, rp, code, start, [ORDERS]));
      // invoices:read was asked without naming billing: an API scope of no named resource, dropped.
      expect(answer.scope).toBe('orders:read');
    });

    it('refuses several resources in one token request, and none when the grant has several (invalid_target)', async () => {
      const { code, start } = await codeFor(app, rp, new Browser(), 'openid orders:read invoices:read', [ORDERS, BILLING]);
      const tokensBefore = await countRows(app, 'SELECT count(*) AS n FROM access_tokens');
      expectRefused(await redeemFor(app, rp, code, start, [ORDERS, BILLING]), 'invalid_target', 'name one resource per token request: each access token is for one API');
      expectRefused(await redeemFor(app, rp, code, start), 'invalid_target', 'name one of the resources of this grant: each access token is for one API');
      expect(await countRows(app, 'SELECT count(*) AS n FROM access_tokens')).toBe(tokensBefore);
      const answer = granted(await redeemFor(app, rp, code, start, [BILLING]));
      expect(answer.scope).toBe('invoices:read');
      expect(answer.expires_in).toBe(120);
    });

    it('refuses an API whose grant was withdrawn between the sign-in and the code exchange', async () => {
      const other = await addClient(app, { name: 'Withdrawn', redirectUris: ['https://withdrawn.example/cb'] });
      await grantApis(app, other, [requestGrant(orders)]);
      const { code, start } = await codeFor(app, other, new Browser(), 'openid orders:write', [ORDERS]);
      await grantApis(app, other, []);
      expectRefused(await redeemFor(app, other, code, start), 'invalid_target', 'the resource is not an API this client may request tokens for');
    });
  });

  describe('clients that name no resource: as before issue 22', () => {
    it('gets a userinfo token with the OpenID Connect scopes, and API scopes asked without a resource are dropped', async () => {
      await grantApis(app, plain, [requestGrant(orders)]);
      const start = await authorizationUrl(plain, { scope: 'openid email orders:read' });
      const callback = await signIn(new Browser(), app, start, 'ada@example.com');
      const tokens = await redeem(plain, callback, start);
      expect(tokens.scope).toBe('openid email');
      expect(tokens.expires_in).toBe(app.config.lifetimes.accessToken);
      const { payload } = await jwtVerify(tokens.access_token, jwks(), { issuer: app.config.issuer, audience: `${app.config.issuer}/userinfo`, typ: 'at+jwt' });
      expect(payload.scope).toBe('openid email');
      expect(await oidc.fetchUserInfo(plain.config, tokens.access_token, ada.id)).toMatchObject({ sub: ada.id, email: 'ada@example.com' });
    });
  });
});
