// The issue-22 client rules of src/manage/clients.ts and src/manage/client-apis.ts on a real SQLite store: machine
// clients, device clients, private_key_jwt clients and the APIs a client may request or introspect. Each refusal is
// the error it should be and writes nothing (no client, no grant, no audit event); each change is audited.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { createApi, type ApiContext } from '../../src/manage/apis.js';
import { clientApis, parseApiArgument, setClientApis } from '../../src/manage/client-apis.js';
import { checkJwks } from '../../src/manage/client-keys.js';
import {
  clientChanges,
  createClient,
  rotateClientSecret,
  setClientKeys,
  setClientRequireMfa,
  updateClient,
  useClientSecret,
  type ClientContext,
  type NewClientInput,
} from '../../src/manage/clients.js';
import { setDisabled } from '../../src/manage/users.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { MINUTE, newUser, T0 } from '../store/engines.js';

const ecJwk = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const JWKS = JSON.stringify({ keys: [{ ...ecJwk(), kid: 'k1' }] });
const ORDERS = 'https://api.example.com/orders';
const PROFILE_API = 'https://profile.example.com';
const BILLING = 'https://billing.example.com';

describe('the --api argument', () => {
  it('reads an identifier alone (every scope) or followed by scopes (those only, once each)', () => {
    expect(parseApiArgument(ORDERS)).toEqual({ api: ORDERS, scopes: null });
    expect(parseApiArgument(` ${ORDERS}  orders:read orders:write orders:read `)).toEqual({ api: ORDERS, scopes: ['orders:read', 'orders:write'] });
    expect(() => parseApiArgument('  ')).toThrow(ValidationError);
  });
});

describe('machine, device and private_key_jwt clients, and their APIs, on a real store', () => {
  let store: Store;
  let clock: FakeClock;
  let ctx: ClientContext & ApiContext;
  let ordersId: string;

  const snapshot = async () => {
    const clients = (await store.clients.list({ limit: 100 })).items;
    return { clients, grants: await Promise.all(clients.map((client) => store.apis.accessOf(client.clientId))), audit: await store.audit.count({}) };
  };
  const refused = refusedWithoutWriting(snapshot);
  const lastEvent = async () => (await store.audit.list({ limit: 1 }))[0];
  const machine = (overrides: Partial<NewClientInput> = {}): NewClientInput => ({ name: 'Nightly job', redirectUris: [], machine: true, ...overrides });
  const grants = (request: { api: string; scopes: string[] | null }[], introspect: string[] = []) => ({ request, introspect });

  manageStorePerTest(async (fresh) => {
    ({ store, clock } = fresh);
    ctx = fresh.ctx;
    const scopes = [
      { name: 'orders:read', description: 'Read your orders' },
      { name: 'orders:write', description: 'Change your orders' },
    ];
    ordersId = (await createApi(ctx, { name: 'Orders', identifier: ORDERS, scopes })).id;
    await createApi(ctx, { name: 'Profile', identifier: PROFILE_API, scopes: [{ name: 'profile:read', description: '' }], accepts: 'people' });
    await createApi(ctx, { name: 'Billing', identifier: BILLING, scopes: [{ name: 'billing', description: '' }], accepts: 'machines' });
  });

  describe('a machine client', () => {
    it('is confidential with a secret, client_credentials only, no OIDC scopes, and its APIs; audited with all of it', async () => {
      const { client, clientSecret } = await createClient(
        ctx,
        machine({
          apis: grants([
            { api: ORDERS, scopes: ['orders:read'] },
            { api: BILLING, scopes: null },
          ]),
        }),
      );
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client).toMatchObject({
        clientType: 'confidential',
        tokenEndpointAuthMethod: 'client_secret_basic',
        secretHash: hashSecret(clientSecret ?? ''),
        grantTypes: [CLIENT_CREDENTIALS_GRANT],
        scopes: [],
        redirectUris: [],
        jwks: null,
        jwksUri: null,
      });
      const access = await clientApis(store, client.clientId);
      expect(access.map(({ api, role, scopes }) => ({ api: api.identifier, role, scopes }))).toEqual([
        { api: BILLING, role: 'request', scopes: null },
        { api: ORDERS, role: 'request', scopes: ['orders:read'] },
      ]);
      expect(await lastEvent()).toMatchObject({
        type: 'client.created',
        subject: client.clientId,
        clientId: client.clientId,
        details: {
          public: false,
          machine: true,
          device: false,
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: [CLIENT_CREDENTIALS_GRANT],
          jwks: false,
          jwks_uri: null,
          apis: [
            { api: ORDERS, role: 'request', scopes: ['orders:read'] },
            { api: BILLING, role: 'request', scopes: null },
          ],
        },
      });
    });

    it('refuses what concerns a person, a public machine and a machine with the device flow, writing nothing', async () => {
      await refused(() => createClient(ctx, machine({ isPublic: true })), ValidationError, /a machine client is confidential/);
      await refused(() => createClient(ctx, machine({ device: true })), ValidationError, /the device flow is for applications people sign in to/);
      await refused(() => createClient(ctx, machine({ redirectUris: ['https://app.example/cb'] })), ValidationError, /has no redirect URIs/);
      await refused(() => createClient(ctx, machine({ postLogoutRedirectUris: ['https://app.example/'] })), ValidationError, /no post-logout redirect URIs/);
      await refused(() => createClient(ctx, machine({ backchannelLogoutUri: 'https://app.example/bc' })), ValidationError, /no back-channel logout URI/);
      await refused(() => createClient(ctx, machine({ requireMfa: true })), ValidationError, /no multi-factor rule/);
      await refused(() => createClient(ctx, machine({ accessGroups: ['staff'] })), ValidationError, /no access rule/);
      await refused(() => createClient(ctx, machine({ initiateLoginUri: 'https://app.example/login' })), ValidationError, /no login URI/);
    });

    it('keeps its kind on update: its name changes, a redirect URI or the multi-factor rule is refused', async () => {
      const { client } = await createClient(ctx, machine());
      expect((await updateClient(ctx, client.clientId, { name: 'Nightly import', redirectUris: [] })).changed).toEqual(['client_name']);
      await refused(() => updateClient(ctx, client.clientId, { name: 'x', redirectUris: ['https://app.example/cb'] }), ValidationError, /has no redirect URIs/);
      await refused(() => setClientRequireMfa(ctx, client.clientId, true), ValidationError, /no multi-factor rule/);
    });
  });

  describe('a device client', () => {
    it('may be public without redirect URIs (device flow and refresh only), or add the device flow to a browser client', async () => {
      const { client: tv, clientSecret } = await createClient(ctx, { name: 'TV app', redirectUris: [], device: true, isPublic: true });
      expect(clientSecret).toBeNull();
      expect(tv).toMatchObject({ clientType: 'public', tokenEndpointAuthMethod: 'none', grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'], redirectUris: [] });
      expect(tv.scopes).toContain('openid');
      expect(await lastEvent()).toMatchObject({ type: 'client.created', details: { device: true, machine: false, grant_types: [DEVICE_CODE_GRANT, 'refresh_token'] } });
      const { client: both } = await createClient(ctx, { name: 'CLI', redirectUris: ['http://127.0.0.1/cb'], device: true });
      expect(both.grantTypes).toEqual(['authorization_code', 'refresh_token', DEVICE_CODE_GRANT]);
    });

    it('without redirect URIs takes none later; a browser client still needs one', async () => {
      const { client: tv } = await createClient(ctx, { name: 'TV app', redirectUris: [], device: true, isPublic: true });
      expect((await updateClient(ctx, tv.clientId, { name: 'TV', redirectUris: [] })).changed).toEqual(['client_name']);
      await refused(() => updateClient(ctx, tv.clientId, { name: 'TV', redirectUris: ['https://tv.example/cb'] }), ValidationError, /uses only the device flow/);
      await refused(() => createClient(ctx, { name: 'Web', redirectUris: [] }), ValidationError, /at least one redirect_uri/);
    });
  });

  describe('a private_key_jwt client', () => {
    it('registers a JWKS (stored with public members only) or a JWKS URI, and gets no secret', async () => {
      const { client, clientSecret } = await createClient(ctx, machine({ jwks: JWKS }));
      expect(clientSecret).toBeNull();
      expect(client).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', secretHash: null, jwks: checkJwks(JWKS), jwksUri: null });
      expect(await lastEvent()).toMatchObject({ details: { token_endpoint_auth_method: 'private_key_jwt', jwks: true, jwks_uri: null } });
      const byUri = await createClient(ctx, { name: 'Web', redirectUris: ['https://web.example/cb'], jwksUri: 'https://web.example/jwks.json' });
      expect(byUri).toMatchObject({ clientSecret: null, client: { tokenEndpointAuthMethod: 'private_key_jwt', jwks: null, jwksUri: 'https://web.example/jwks.json', secretHash: null } });
    });

    it('refuses both key sources, keys for a public client, a private key and a JWKS URI on a private address, writing nothing', async () => {
      await refused(() => createClient(ctx, machine({ jwks: JWKS, jwksUri: 'https://x.example/jwks' })), ValidationError, /not both/);
      await refused(() => createClient(ctx, { name: 'SPA', redirectUris: ['https://spa.example/cb'], isPublic: true, jwks: JWKS }), ValidationError, /a public client has no keys/);
      const privateJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      await refused(() => createClient(ctx, machine({ jwks: JSON.stringify({ keys: [privateJwk] }) })), ValidationError, /private member "d"/);
      await refused(() => createClient(ctx, machine({ jwksUri: 'http://127.0.0.1:9000/jwks' })), ValidationError, /jwks_uri .* private, loopback.*ALLOW_PRIVATE_CLIENT_URLS=true/);
      await refused(() => createClient(ctx, machine({ jwksUri: 'http://jwks.example/keys' })), ValidationError, /uses http on a host that is not loopback/);
      const allowing = { ...ctx, config: { allowPrivateClientUrls: true } };
      expect((await createClient(allowing, machine({ jwksUri: 'http://127.0.0.1:9000/jwks' }))).client.jwksUri).toBe('http://127.0.0.1:9000/jwks');
    });

    it('has no secret to rotate; switching to a secret removes its keys, and the secret then rotates', async () => {
      const { client } = await createClient(ctx, machine({ jwks: JWKS }));
      await refused(() => rotateClientSecret(ctx, client.clientId), ValidationError, /authenticates with its keys \(private_key_jwt\) and has no secret to rotate/);
      clock.advance(MINUTE);
      const switched = await useClientSecret(ctx, client.clientId);
      expect(switched.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(switched.client).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', secretHash: hashSecret(switched.clientSecret ?? ''), jwks: null, jwksUri: null });
      expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['token_endpoint_auth_method', 'jwks', 'client_secret'] } });
      expect((await rotateClientSecret(ctx, client.clientId)).clientSecret).not.toBe(switched.clientSecret);
      await refused(() => useClientSecret(ctx, client.clientId), ValidationError, /already authenticates with a secret/);
    });

    it('keys given to a client with a secret replace the secret; keys replace keys; they cannot just be removed', async () => {
      const { client } = await createClient(ctx, { name: 'Web', redirectUris: ['https://web.example/cb'] });
      const settings = { name: 'Web', redirectUris: ['https://web.example/cb'] };
      expect(clientChanges(client, { ...settings, jwks: JWKS })).toEqual(['token_endpoint_auth_method', 'jwks']);
      const first = await setClientKeys(ctx, client.clientId, { jwks: JWKS });
      expect(first.changed).toEqual(['token_endpoint_auth_method', 'jwks']);
      expect(first.client).toMatchObject({ tokenEndpointAuthMethod: 'private_key_jwt', secretHash: null, jwks: checkJwks(JWKS) });
      expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['token_endpoint_auth_method', 'jwks'] } });
      const second = await setClientKeys(ctx, client.clientId, { jwksUri: 'https://web.example/jwks.json' });
      expect(second.changed).toEqual(['jwks', 'jwks_uri']);
      expect(second.client).toMatchObject({ jwks: null, jwksUri: 'https://web.example/jwks.json' });
      const events = await store.audit.count({});
      expect((await updateClient(ctx, client.clientId, { ...settings, jwksUri: 'https://web.example/jwks.json' })).changed).toEqual([]);
      expect((await updateClient(ctx, client.clientId, settings)).changed).toEqual([]);
      expect(await store.audit.count({})).toBe(events);
      await refused(() => updateClient(ctx, client.clientId, { ...settings, jwks: null, jwksUri: null }), ValidationError, /cannot lose them/);
      await refused(() => setClientKeys(ctx, client.clientId, {}), ValidationError, /one of the two/);
    });
  });

  describe('API grants', () => {
    it('grants a browser client a people API with some scopes; refuses an unknown API, an unknown scope, an API twice and an API for the other kind', async () => {
      const web = { name: 'Web', redirectUris: ['https://web.example/cb'] };
      const { client } = await createClient(ctx, {
        ...web,
        apis: grants([
          { api: PROFILE_API, scopes: null },
          { api: ordersId, scopes: ['orders:read'] },
        ]),
      });
      expect((await clientApis(store, client.clientId)).map((grant) => grant.api.identifier)).toEqual([ORDERS, PROFILE_API]);
      await refused(() => createClient(ctx, { ...web, apis: grants([{ api: 'https://nope.example', scopes: null }]) }), ValidationError, /no API "https:\/\/nope.example": register it first/);
      await refused(
        () => createClient(ctx, { ...web, apis: grants([{ api: ORDERS, scopes: ['orders:delete'] }]) }),
        ValidationError,
        /defines no scope "orders:delete" \(it defines: orders:read, orders:write\)/,
      );
      await refused(() => createClient(ctx, { ...web, apis: grants([{ api: ORDERS, scopes: [] }]) }), ValidationError, /at least one scope/);
      await refused(
        () =>
          createClient(ctx, {
            ...web,
            apis: grants([
              { api: ORDERS, scopes: null },
              { api: ordersId, scopes: ['orders:read'] },
            ]),
          }),
        ValidationError,
        /listed twice/,
      );
      await refused(() => createClient(ctx, { ...web, apis: grants([{ api: BILLING, scopes: null }]) }), ValidationError, /accepts only tokens for machine clients/);
      await refused(() => createClient(ctx, machine({ apis: grants([{ api: PROFILE_API, scopes: null }]) })), ValidationError, /accepts only tokens for people/);
      await refused(() => createClient(ctx, { ...web, isPublic: true, apis: grants([], [ORDERS]) }), ValidationError, /a public client cannot authenticate, so it cannot introspect/);
    });

    it('replaces all grants, audits a real change only, and clears them with none', async () => {
      const { client } = await createClient(ctx, machine());
      clock.advance(MINUTE);
      const access = await setClientApis(ctx, client.clientId, grants([{ api: ORDERS, scopes: ['orders:write', 'orders:read'] }], [BILLING, BILLING]));
      expect(access.map(({ api, role, scopes }) => ({ api: api.identifier, role, scopes: scopes && [...scopes].sort() }))).toEqual([
        { api: BILLING, role: 'introspect', scopes: null },
        { api: ORDERS, role: 'request', scopes: ['orders:read', 'orders:write'] },
      ]);
      expect(await lastEvent()).toMatchObject({ type: 'client.updated', subject: client.clientId, clientId: client.clientId, details: { changed: ['apis'] } });
      const events = await store.audit.count({});
      await setClientApis(ctx, client.clientId, grants([{ api: ordersId, scopes: ['orders:read', 'orders:write'] }], [BILLING]));
      expect(await store.audit.count({})).toBe(events);
      expect(await setClientApis(ctx, client.clientId, grants([]))).toEqual([]);
      expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['apis'], apis: [] } });
      await refused(() => setClientApis(ctx, 'nope', grants([])), NotFoundError, /no client "nope"/);
      await expect(clientApis(store, 'nope')).rejects.toThrow(NotFoundError);
    });
  });

  it('disabling a person ends the device authorizations they approved but the device has not spent', async () => {
    await store.users.create(newUser('u-ada', 'ada@example.com'), T0);
    const { client } = await createClient(ctx, { name: 'TV app', redirectUris: [], device: true, isPublic: true });
    await store.deviceCodes.create({
      deviceCodeHash: 'dc-1',
      userCodeHash: 'uc-1',
      clientId: client.clientId,
      scope: 'openid',
      resources: [],
      createdAt: T0,
      expiresAt: T0 + 10 * MINUTE,
      interval: 5,
    });
    await store.deviceCodes.approve('uc-1', { userId: 'u-ada', sessionIdHash: null, sid: null, amr: ['pwd'], authTime: T0 }, T0);
    await setDisabled(ctx, 'u-ada', true);
    expect(await store.deviceCodes.consume('dc-1', T0 + MINUTE)).toBeNull();
    expect((await store.deviceCodes.find('dc-1'))?.status ?? 'gone').not.toBe('approved');
  });
});
