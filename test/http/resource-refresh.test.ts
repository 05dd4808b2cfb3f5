// Resource indicators at the refresh grant (RFC 8707 §2.2, issue 22): a refresh may narrow to one of the resources
// of the original grant and never reach another; a refused resource leaves the refresh token usable; a grant
// withdrawn (or an API deleted) since is invalid_target for that API alone, the refresh token staying usable for the
// grant's other audiences. The refresh token keeps the grant's resources and its whole scope through every rotation.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { basic, expectRefused, family, refresh, stored, tokenRequest } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addApi, codeFor, grantApis, granted, redeemFor, requestGrant } from './resource-helpers.js';

const ORDERS = 'https://orders.example/api';
const BILLING = 'https://billing.example/';
const HR = 'https://hr.example/';

describe('resource indicators at the refresh grant', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let orders: ApiRecord;
  let billing: ApiRecord;
  let hr: ApiRecord;

  /** A client granted orders (read) and billing, with the tokens of a grant naming both. */
  async function grantNamingBoth(name: string, scope = 'openid email orders:read invoices:read offline_access'): Promise<{ client: TestClient; refreshToken: string }> {
    const client = await addClient(app, { name, redirectUris: [`https://${name.toLowerCase()}.example/cb`] });
    await grantApis(app, client, [requestGrant(orders, ['orders:read']), requestGrant(billing), requestGrant(hr)]);
    const { code, start } = await codeFor(app, client, new Browser(), scope, [ORDERS, BILLING]);
    const answer = granted(await redeemFor(app, client, code, start, [ORDERS]));
    return { client, refreshToken: answer.refresh_token ?? '' };
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    orders = await addApi(app, { name: 'Orders', identifier: ORDERS, scopes: ['orders:read', 'orders:write'] });
    billing = await addApi(app, { name: 'Billing', identifier: BILLING, scopes: ['invoices:read'], tokenLifetime: 90 });
    hr = await addApi(app, { name: 'HR', identifier: HR, scopes: ['staff:read'] });
  });
  afterAll(() => app.stop());

  it("narrows to each of the grant's resources in turn, each token with that API's scopes, lifetime and aud", async () => {
    const { client, refreshToken } = await grantNamingBoth('Narrowing');
    const toBilling = granted(await refresh(app, client, refreshToken, { resource: BILLING }));
    expect(toBilling.scope).toBe('invoices:read');
    expect(toBilling.expires_in).toBe(90);
    expect(decodeJwt(toBilling.access_token ?? '')).toMatchObject({ aud: BILLING, scope: 'invoices:read', exp: Math.floor(clock.now() / 1000) + 90 });
    expect(toBilling.id_token).toEqual(expect.any(String));
    const toOrders = granted(await refresh(app, client, toBilling.refresh_token ?? '', { resource: ORDERS, scope: 'openid orders:read' }));
    expect(toOrders.scope).toBe('orders:read');
    expect(decodeJwt(toOrders.access_token ?? '')).toMatchObject({ aud: ORDERS, scope: 'orders:read' });
    // RFC 6749 §6: the successor keeps the whole scope and every resource of the grant.
    const successor = await stored(app, toOrders.refresh_token ?? '');
    expect(successor.resources).toEqual([ORDERS, BILLING]);
    expect(successor.scope).toBe('openid email orders:read invoices:read offline_access');
  });

  it("accepts the API token's own scope sent back at a refresh (without openid): the API token, and no ID token", async () => {
    // oidc-client-ts, among others, sends the scope of the last token response with the refresh.
    const { client, refreshToken } = await grantNamingBoth('Echoing');
    const echoed = granted(await refresh(app, client, refreshToken, { resource: ORDERS, scope: 'orders:read' }));
    expect(echoed.scope).toBe('orders:read');
    expect(decodeJwt(echoed.access_token ?? '')).toMatchObject({ aud: ORDERS, scope: 'orders:read' });
    expect(echoed.id_token).toBeUndefined();
    // The grant keeps openid: the next refresh without a narrowed scope has its ID token again.
    expect((await stored(app, echoed.refresh_token ?? '')).scope).toBe('openid email orders:read invoices:read offline_access');
    expect(granted(await refresh(app, client, echoed.refresh_token ?? '', { resource: ORDERS })).id_token).toEqual(expect.any(String));
  });

  it('still refuses narrowing openid away from a grant refreshed for the userinfo endpoint', async () => {
    const client = await addClient(app, { name: 'Plain', redirectUris: ['https://plain.example/cb'] });
    const { code, start } = await codeFor(app, client, new Browser(), 'openid email offline_access', []);
    const answer = granted(await redeemFor(app, client, code, start, []));
    expectRefused(await refresh(app, client, answer.refresh_token ?? '', { scope: 'email' }), 'invalid_scope', 'scope must include openid: a refresh keeps the OpenID Connect grant');
  });

  it('refuses a resource the grant did not name, even one granted to the client, and the refresh token stays usable', async () => {
    const { client, refreshToken } = await grantNamingBoth('Beyond');
    const { grantId } = await stored(app, refreshToken);
    const before = await family(app, grantId);
    expectRefused(await refresh(app, client, refreshToken, { resource: HR }), 'invalid_target', 'the resource was not named when this grant was authorized');
    expectRefused(await refresh(app, client, refreshToken, { resource: 'https://nowhere.example/' }), 'invalid_target', 'the resource was not named when this grant was authorized');
    expect(await family(app, grantId)).toEqual(before);
    granted(await refresh(app, client, refreshToken, { resource: ORDERS }));
  });

  it('refuses none and several when the grant has several resources (invalid_target), leaving the token usable', async () => {
    const { client, refreshToken } = await grantNamingBoth('Several');
    const { grantId } = await stored(app, refreshToken);
    const before = await family(app, grantId);
    expectRefused(await refresh(app, client, refreshToken), 'invalid_target', 'name one of the resources of this grant: each access token is for one API');
    const both = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: ORDERS });
    both.append('resource', BILLING);
    expectRefused(
      await tokenRequest(app, both.toString(), { Authorization: basic(client.clientId, client.clientSecret ?? '') }),
      'invalid_target',
      'name one resource per token request: each access token is for one API',
    );
    expect(await family(app, grantId)).toEqual(before);
    granted(await refresh(app, client, refreshToken, { resource: BILLING }));
  });

  it('decides the audience again on a retry within the reuse grace', async () => {
    const { client, refreshToken } = await grantNamingBoth('Retry');
    await app.store.clients.update(client.clientId, { refreshReuseGrace: 60 }, clock.now());
    const first = granted(await refresh(app, client, refreshToken, { resource: ORDERS }));
    const again = granted(await refresh(app, client, refreshToken, { resource: BILLING }));
    expect(again.refresh_token).toBe(first.refresh_token);
    expect(decodeJwt(again.access_token ?? '')).toMatchObject({ aud: BILLING, scope: 'invoices:read' });
    expectRefused(await refresh(app, client, refreshToken, { resource: HR }), 'invalid_target', 'the resource was not named when this grant was authorized');
  });

  it("refuses an API whose grant was withdrawn, or that was deleted, and still refreshes for the grant's other API", async () => {
    const { client, refreshToken } = await grantNamingBoth('Withdrawn');
    await grantApis(app, client, [requestGrant(billing)]);
    expectRefused(await refresh(app, client, refreshToken, { resource: ORDERS }), 'invalid_target', 'the resource is not an API this client may request tokens for');
    const toBilling = granted(await refresh(app, client, refreshToken, { resource: BILLING }));
    expect(decodeJwt(toBilling.access_token ?? '').aud).toBe(BILLING);

    const gone = await addApi(app, { name: 'Short-lived', identifier: 'https://gone.example/', scopes: ['gone:use'] });
    const other = await addClient(app, { name: 'Deleted API', redirectUris: ['https://deleted.example/cb'] });
    await grantApis(app, other, [requestGrant(gone), requestGrant(billing)]);
    const { code, start } = await codeFor(app, other, new Browser(), 'openid gone:use invoices:read offline_access', ['https://gone.example/', BILLING]);
    const first = granted(await redeemFor(app, other, code, start, ['https://gone.example/']));
    expect(first.scope).toBe('gone:use');
    await app.store.apis.delete(gone.id);
    expectRefused(await refresh(app, other, first.refresh_token ?? '', { resource: 'https://gone.example/' }), 'invalid_target', 'the resource is not an API this client may request tokens for');
    expect(granted(await refresh(app, other, first.refresh_token ?? '', { resource: BILLING })).scope).toBe('invoices:read');
  });

  it('limits the token to the API scopes the client may still request: a scope taken from its grant is left out', async () => {
    const client = await addClient(app, { name: 'Fewer scopes', redirectUris: ['https://fewer.example/cb'] });
    await grantApis(app, client, [requestGrant(orders)]);
    const { code, start } = await codeFor(app, client, new Browser(), 'openid orders:read orders:write offline_access', [ORDERS]);
    const first = granted(await redeemFor(app, client, code, start));
    expect(first.scope).toBe('orders:read orders:write');
    await grantApis(app, client, [requestGrant(orders, ['orders:read'])]);
    const next = granted(await refresh(app, client, first.refresh_token ?? ''));
    expect(next.scope).toBe('orders:read');
    expect(decodeJwt(next.access_token ?? '').scope).toBe('orders:read');
  });

  it("without resources, refreshes as before: userinfo audience, the grant's scope, no resources kept", async () => {
    const client = await addClient(app, { name: 'Plain', redirectUris: ['https://plain.example/cb'] });
    const { code, start } = await codeFor(app, client, new Browser(), 'openid email offline_access', []);
    const first = granted(await redeemFor(app, client, code, start));
    const next = granted(await refresh(app, client, first.refresh_token ?? ''));
    expect(next.scope).toBe('openid email offline_access');
    expect(next.expires_in).toBe(app.config.lifetimes.accessToken);
    expect(decodeJwt(next.access_token ?? '').aud).toBe(`${app.config.issuer}/userinfo`);
    expect((await stored(app, next.refresh_token ?? '')).resources).toEqual([]);
    expectRefused(await refresh(app, client, next.refresh_token ?? '', { resource: ORDERS }), 'invalid_target', 'the resource was not named when this grant was authorized');
  });
});
