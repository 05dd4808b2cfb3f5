// The issue-24 client rules of src/manage/clients.ts (src/manage/client-third-party.ts) on a real SQLite store:
// first- and third-party clients, the pages a client names (client_uri, policy_uri, tos_uri), its origin and
// registration access token hash, client_secret_post, and the scopes it registers. Each refusal is the error it
// should be and writes nothing (no client, no audit event); each change is audited with third_party and origin.
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { ValidationError } from '../../src/errors.js';
import { checkNewClient, createClient, findClient, setClientThirdParty, updateClient, type ClientContext, type NewClientInput } from '../../src/manage/clients.js';
import type { Store } from '../../src/store/store.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';

describe('third-party clients and their registration metadata, on a real store', () => {
  let store: Store;
  let ctx: ClientContext;

  const snapshot = async () => ({ clients: (await store.clients.list({ limit: 100 })).items, audit: await store.audit.count({}) });
  const refused = refusedWithoutWriting(snapshot);
  const lastEvent = async () => (await store.audit.list({ limit: 1 }))[0];
  const app = (overrides: Partial<NewClientInput> = {}): NewClientInput => ({ name: 'Planner', redirectUris: ['https://planner.example/cb'], ...overrides });

  manageStorePerTest((fresh) => {
    store = fresh.store;
    ctx = fresh.ctx;
  });

  it("registers an administrator's client as first-party by default, exactly as before (all four scopes, basic, origin admin)", async () => {
    const { client } = await createClient(ctx, app());
    expect(client).toMatchObject({
      thirdParty: false,
      origin: 'admin',
      clientUri: null,
      policyUri: null,
      tosUri: null,
      registrationTokenHash: null,
      tokenEndpointAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    });
    expect(await lastEvent()).toMatchObject({ type: 'client.created', details: { third_party: false, origin: 'admin', scope: 'openid profile email offline_access' } });
  });

  it('registers a third-party client with its home page, policy and terms, and reads them back', async () => {
    const { client } = await createClient(
      ctx,
      app({ thirdParty: true, clientUri: 'https://planner.example/', policyUri: 'https://planner.example/privacy', tosUri: 'http://127.0.0.1:8080/terms' }),
    );
    expect(await findClient(ctx, client.clientId)).toMatchObject({
      thirdParty: true,
      clientUri: 'https://planner.example/',
      policyUri: 'https://planner.example/privacy',
      tosUri: 'http://127.0.0.1:8080/terms',
    });
    expect((await lastEvent())?.details).toMatchObject({ third_party: true, origin: 'admin' });
  });

  it('registers a dynamic client: third-party by default, with its registration access token hash, client_secret_post and fewer scopes', async () => {
    const tokenHash = hashSecret('registration-access-token');
    const { client, clientSecret } = await createClient(ctx, app({ origin: 'dynamic', registrationTokenHash: tokenHash, secretPost: true, scopes: ['openid', 'email', 'openid'] }));
    expect(clientSecret).toEqual(expect.any(String));
    expect(await findClient(ctx, client.clientId)).toMatchObject({
      thirdParty: true,
      origin: 'dynamic',
      registrationTokenHash: tokenHash,
      tokenEndpointAuthMethod: 'client_secret_post',
      scopes: ['openid', 'email'],
    });
    expect((await lastEvent())?.details).toMatchObject({ third_party: true, origin: 'dynamic', token_endpoint_auth_method: 'client_secret_post', scope: 'openid email' });
  });

  describe('refuses, writing nothing', () => {
    const cases: [string, Partial<NewClientInput>, RegExp][] = [
      ['a home page over http on a public host', { clientUri: 'http://planner.example/' }, /client_uri .* uses http on a host that is not loopback/],
      ['a policy page that is not a URL', { policyUri: 'privacy' }, /policy_uri "privacy" is not an absolute URL/],
      ['terms with a fragment', { tosUri: 'https://planner.example/terms#top' }, /tos_uri .* must not have a fragment/],
      ['a javascript: home page', { clientUri: 'javascript:alert(1)' }, /client_uri .* must use https/],
      ['a home page longer than 2000 characters', { clientUri: `https://planner.example/${'a'.repeat(2000)}` }, /client_uri .* is longer than 2000 characters/],
      ['a dynamic client registered first-party', { origin: 'dynamic', thirdParty: false }, /a dynamically registered client is third-party/],
      ['a registration access token on an administrator’s client', { registrationTokenHash: 'x' }, /only a dynamically registered client has a registration access token/],
      ['an unknown origin', { origin: 'import' as never }, /the origin must be admin or dynamic/],
      ['client_secret_post for a public client', { isPublic: true, secretPost: true }, /client_secret_post is for a client with a secret; this one is public/],
      ['a scope no client registers', { scopes: ['openid', 'admin'] }, /scope "admin" is not one a client registers/],
      ['scopes without openid', { scopes: ['email'] }, /must include openid/],
      ['a third-party machine', { machine: true, redirectUris: [], thirdParty: true }, /machine client .* cannot be third-party/],
      ['scopes for a machine', { machine: true, redirectUris: [], scopes: ['openid'] }, /holds no OpenID Connect scopes/],
      ['a home page for a machine', { machine: true, redirectUris: [], clientUri: 'https://planner.example/' }, /machine client signs in no person: no consent screen would show its client_uri/],
      ['terms for a machine', { machine: true, redirectUris: [], tosUri: 'https://planner.example/terms' }, /no consent screen would show its tos_uri/],
    ];
    for (const [what, input, message] of cases) {
      it(what, async () => {
        await refused(() => createClient(ctx, app(input)), ValidationError, message);
        // checkNewClient is the same rule, and writes nothing either.
        await refused(() => checkNewClient(ctx, app(input)), ValidationError, message);
      });
    }

    it('client_secret_post with keys', async () => {
      const jwksUri = 'https://planner.example/jwks.json';
      await refused(() => createClient(ctx, app({ jwksUri, secretPost: true })), ValidationError, /client_secret_post is for a client with a secret; this one authenticates with its keys/);
    });
  });

  it('checkNewClient accepts what createClient would register, and writes nothing', async () => {
    const before = await snapshot();
    await expect(checkNewClient(ctx, app({ origin: 'dynamic', registrationTokenHash: hashSecret('t'), clientUri: 'https://planner.example/' }))).resolves.toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('switches a client between third- and first-party and clears its pages, auditing what changed with third_party and origin', async () => {
    const { client } = await createClient(ctx, app({ origin: 'dynamic', clientUri: 'https://planner.example/', tosUri: 'https://planner.example/terms' }));
    const adopted = await setClientThirdParty(ctx, client.clientId, { thirdParty: false, clientUri: null, tosUri: '' });
    expect(adopted.changed).toEqual(['third_party', 'client_uri', 'tos_uri']);
    expect(adopted.client).toMatchObject({ thirdParty: false, origin: 'dynamic', clientUri: null, tosUri: null });
    expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['third_party', 'client_uri', 'tos_uri'], third_party: false, origin: 'dynamic' } });
    const events = await store.audit.count({});
    expect((await setClientThirdParty(ctx, client.clientId, { thirdParty: false })).changed).toEqual([]);
    expect(await store.audit.count({})).toBe(events);
  });

  it('updates the scopes and the way a secret is sent (RFC 7592 full replacement), absent settings keeping theirs', async () => {
    const { client } = await createClient(ctx, app());
    const settings = { name: client.name, redirectUris: client.redirectUris };
    const update = await updateClient(ctx, client.clientId, { ...settings, scopes: ['openid', 'email'], secretPost: true });
    expect(update.changed).toEqual(['scope', 'token_endpoint_auth_method']);
    expect(update.client).toMatchObject({ scopes: ['openid', 'email'], tokenEndpointAuthMethod: 'client_secret_post', secretHash: client.secretHash });
    // The same set in another order is no change; absent keeps.
    expect((await updateClient(ctx, client.clientId, { ...settings, scopes: ['email', 'openid'] })).changed).toEqual([]);
    expect((await updateClient(ctx, client.clientId, settings)).client).toMatchObject({ scopes: ['openid', 'email'], tokenEndpointAuthMethod: 'client_secret_post' });
    expect((await updateClient(ctx, client.clientId, { ...settings, secretPost: false })).client.tokenEndpointAuthMethod).toBe('client_secret_basic');
    const spa = (await createClient(ctx, app({ isPublic: true }))).client;
    await refused(
      () => updateClient(ctx, spa.clientId, { name: spa.name, redirectUris: spa.redirectUris, secretPost: true }),
      ValidationError,
      /client_secret_post is for a client with a secret/,
    );
    await refused(() => updateClient(ctx, spa.clientId, { name: spa.name, redirectUris: spa.redirectUris, scopes: ['profile'] }), ValidationError, /must include openid/);
  });
});
