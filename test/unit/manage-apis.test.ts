// The rules of src/manage/apis.ts (issue 22) on a real SQLite store: an API's name, identifier, scopes, token lifetime,
// format and audience; each refusal is the error it should be and writes nothing (no row, no audit event); each change
// is audited with the actor and the API.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import {
  checkApiIdentifier,
  checkApiScopes,
  createApi,
  deleteApi,
  findApi,
  parseScopeArgument,
  refuseOwnAddress,
  tokenLifetimeFromText,
  updateApi,
  type ApiContext,
  type ApiInput,
} from '../../src/manage/apis.js';
import { createClient, type ClientContext } from '../../src/manage/clients.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { MANAGE_ISSUER, manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { MINUTE, T0 } from '../store/engines.js';

/** The issuer of the tests' context: an API may not be named by an address under it. */

/** The ValidationError `action` throws, with its field and message. */
function validation(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('not refused');
}

describe('API settings as typed', () => {
  it('reads a scope argument as name or name=Description, trimmed', () => {
    expect(parseScopeArgument('orders:read')).toEqual({ name: 'orders:read', description: '' });
    expect(parseScopeArgument(' orders:write = Create and change orders ')).toEqual({ name: 'orders:write', description: 'Create and change orders' });
    expect(parseScopeArgument('a=b=c')).toEqual({ name: 'a', description: 'b=c' });
  });

  it('refuses scope names outside the alphabet, the OpenID Connect scopes, long or controlled descriptions', () => {
    for (const name of ['', 'two words', 'ünï', 'a,b', 'x'.repeat(101), 'a*b']) expect(validation(() => parseScopeArgument(name)).field, name).toBe('scopes');
    for (const name of ['openid', 'profile', 'email', 'phone', 'address', 'offline_access', 'groups']) {
      expect(validation(() => parseScopeArgument(name)).message).toMatch(/belongs to OpenID Connect/);
    }
    expect(validation(() => parseScopeArgument(`a=${'d'.repeat(301)}`)).message).toMatch(/at most 300 characters/);
    expect(validation(() => parseScopeArgument('a=two\nlines')).message).toMatch(/control characters/);
    expect(parseScopeArgument('read/all.v2_x:y-z').name).toBe('read/all.v2_x:y-z');
  });

  it('takes 1 to 100 scopes, each name once', () => {
    expect(validation(() => checkApiScopes([])).message).toMatch(/at least one scope/);
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `s${i}`, description: '' }));
    expect(validation(() => checkApiScopes(many)).message).toMatch(/at most 100 scopes/);
    expect(checkApiScopes(many.slice(0, 100))).toHaveLength(100);
    expect(
      validation(() =>
        checkApiScopes([
          { name: 'a', description: '' },
          { name: 'a', description: 'again' },
        ]),
      ).message,
    ).toMatch(/the scope a is listed twice/);
  });

  it('takes an identifier that is an absolute https URI (http on loopback), no fragment, at most 512 characters, exactly as given', () => {
    for (const id of ['https://api.example.com/orders', 'https://api.example.com', 'http://localhost:4000/api', 'http://127.0.0.1/api', 'https://api.example.com/v1?x=1']) {
      expect(checkApiIdentifier(id)).toBe(id);
    }
    for (const id of ['', 'orders', 'urn:example:orders', 'http://api.example.com/orders', 'https://api.example.com/#x', 'https://u:p@api.example.com/', ' https://api.example.com/']) {
      expect(validation(() => checkApiIdentifier(id)).field, id).toBe('identifier');
    }
    expect(validation(() => checkApiIdentifier(`https://api.example.com/${'a'.repeat(500)}`)).message).toMatch(/at most 512/);
  });

  it('reads a token lifetime as digits from 60 to 86400, empty for the server setting', () => {
    expect(tokenLifetimeFromText('600')).toBe(600);
    expect(tokenLifetimeFromText(' ')).toBeNull();
    for (const text of ['59', '86401', '1.5', '-60', 'ten', '1e3']) expect(validation(() => tokenLifetimeFromText(text)).field, text).toBe('token_lifetime');
  });
});

describe('managing APIs on a real store', () => {
  let store: Store;
  let clock: FakeClock;
  let ctx: ClientContext & ApiContext;
  const orders: ApiInput = {
    name: 'Orders',
    identifier: 'https://api.example.com/orders',
    scopes: [
      { name: 'orders:read', description: 'Read your orders' },
      { name: 'orders:write', description: 'Create and change orders' },
    ],
  };

  const snapshot = async () => ({
    apis: (await store.apis.list({ limit: 100 })).items,
    audit: await store.audit.count({}),
  });
  const refused = refusedWithoutWriting(snapshot);
  const lastEvent = async () => (await store.audit.list({ limit: 1 }))[0];

  manageStorePerTest((fresh) => {
    ({ store, clock } = fresh);
    ctx = fresh.ctx;
  });

  it('creates an API with the defaults (server lifetime, jwt, both), audited with the actor and the API', async () => {
    const api = await createApi(ctx, { ...orders, name: '  Orders  ' });
    expect(api).toMatchObject({ name: 'Orders', identifier: orders.identifier, scopes: orders.scopes, tokenLifetime: null, tokenFormat: 'jwt', accepts: 'both', createdAt: T0 });
    expect(api.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await lastEvent()).toMatchObject({
      type: 'api.created',
      actor: 'admin-1',
      subject: api.id,
      ip: '192.0.2.1',
      details: { name: 'Orders', identifier: orders.identifier, scopes: ['orders:read', 'orders:write'], token_lifetime: null, token_format: 'jwt', accepts: 'both' },
    });
    const opaque = await createApi(ctx, { ...orders, identifier: 'https://billing.example', tokenLifetime: 300, tokenFormat: 'opaque', accepts: 'machines' });
    expect(opaque).toMatchObject({ tokenLifetime: 300, tokenFormat: 'opaque', accepts: 'machines' });
  });

  it('refuses a taken identifier, bad settings and a scope that releases attributes, writing nothing', async () => {
    await createApi(ctx, orders);
    await refused(() => createApi(ctx, { ...orders, name: 'Again' }), ConflictError, /an API with the identifier https:\/\/api.example.com\/orders already exists/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', name: ' ' }), ValidationError, /needs a name/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', name: 'n'.repeat(201) }), ValidationError, /at most 200/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'http://x.example' }), ValidationError, /uses http on a host that is not loopback/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', scopes: [] }), ValidationError, /at least one scope/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', tokenLifetime: 30 }), ValidationError, /from 60 to 86400/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', tokenFormat: 'paseto' as never }), ValidationError, /jwt or opaque/);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', accepts: 'robots' as never }), ValidationError, /people, machines or both/);
    await store.attributes.define({ name: 'department', type: 'string', claim: 'department', scope: 'hr', userVisible: false }, T0);
    await refused(() => createApi(ctx, { ...orders, identifier: 'https://x.example', scopes: [{ name: 'hr', description: '' }] }), ValidationError, /already releases user attributes/);
  });

  it('finds an API by identifier or id; an unknown one is a NotFoundError naming it', async () => {
    const api = await createApi(ctx, orders);
    expect((await findApi(store, orders.identifier)).id).toBe(api.id);
    expect((await findApi(store, api.id)).identifier).toBe(orders.identifier);
    await expect(findApi(store, 'https://nope.example')).rejects.toThrow(new NotFoundError('no API "https://nope.example"'));
    await expect(findApi(store, 'nope')).rejects.toThrow(NotFoundError);
    await expect(findApi(store, ' ')).rejects.toThrow(NotFoundError);
  });

  it('updates what is given, audits the changed fields, and writes nothing when nothing changes', async () => {
    const api = await createApi(ctx, orders);
    clock.advance(MINUTE);
    const { api: updated, changed } = await updateApi(ctx, orders.identifier, {
      name: 'Orders v2',
      identifier: 'https://api.example.com/orders/v2',
      scopes: [{ name: 'orders:read', description: 'Read your orders' }],
      tokenLifetime: 900,
      tokenFormat: 'opaque',
      accepts: 'people',
    });
    expect(changed).toEqual(['name', 'identifier', 'scopes', 'token_lifetime', 'token_format', 'accepts']);
    expect(updated).toMatchObject({
      id: api.id,
      name: 'Orders v2',
      identifier: 'https://api.example.com/orders/v2',
      tokenLifetime: 900,
      tokenFormat: 'opaque',
      accepts: 'people',
      updatedAt: T0 + MINUTE,
    });
    expect(updated.scopes).toEqual([{ name: 'orders:read', description: 'Read your orders' }]);
    expect(await lastEvent()).toMatchObject({
      type: 'api.updated',
      subject: api.id,
      details: { changed, identifier: 'https://api.example.com/orders/v2', previous_identifier: orders.identifier },
    });
    const events = await store.audit.count({});
    expect((await updateApi(ctx, api.id, { name: ' Orders v2 ', accepts: 'people', scopes: updated.scopes })).changed).toEqual([]);
    expect(await store.audit.count({})).toBe(events);
    // null returns to the server's lifetime.
    expect((await updateApi(ctx, api.id, { tokenLifetime: null })).api.tokenLifetime).toBeNull();
  });

  it('refuses an update to a taken identifier or a bad setting, writing nothing', async () => {
    const api = await createApi(ctx, orders);
    await createApi(ctx, { ...orders, identifier: 'https://billing.example' });
    await refused(() => updateApi(ctx, api.id, { identifier: 'https://billing.example' }), ConflictError, /already exists/);
    await refused(() => updateApi(ctx, api.id, { scopes: [{ name: 'openid', description: '' }] }), ValidationError, /belongs to OpenID Connect/);
    await refused(() => updateApi(ctx, api.id, { name: 'ok', tokenLifetime: 100_000 }), ValidationError, /from 60 to 86400/);
    await refused(() => updateApi(ctx, 'https://nope.example', { name: 'x' }), NotFoundError, /no API/);
  });

  it('deletes an API with its grants, naming the clients that used it', async () => {
    const api = await createApi(ctx, orders);
    const { client } = await createClient(ctx, { name: 'Worker', redirectUris: [], machine: true, apis: { request: [{ api: orders.identifier, scopes: null }], introspect: [] } });
    const { client: gateway } = await createClient(ctx, { name: 'Gateway', redirectUris: [], machine: true, apis: { request: [], introspect: [api.id] } });
    const { api: deleted, uses } = await deleteApi(ctx, orders.identifier);
    expect(deleted.id).toBe(api.id);
    expect(uses).toEqual([
      { clientId: gateway.clientId, name: 'Gateway', roles: ['introspect'] },
      { clientId: client.clientId, name: 'Worker', roles: ['request'] },
    ]);
    expect(await lastEvent()).toMatchObject({ type: 'api.deleted', subject: api.id, details: { identifier: orders.identifier, clients: [gateway.clientId, client.clientId] } });
    expect(await store.apis.accessOf(client.clientId)).toEqual([]);
    expect(await store.clients.findById(client.clientId)).not.toBeNull();
    await refused(() => deleteApi(ctx, orders.identifier), NotFoundError, /no API/);
  });
});

describe("an API's identifier is never Gatehouse's own address (a token for it would be accepted at our endpoints)", () => {
  let store: Store;
  let clock: FakeClock;
  let ctx: ClientContext & ApiContext;
  const OWN = /the identifier is this server's own address: https:\/\/id\.example\.com\/idp and every address under it/;
  const api = (identifier: string): ApiInput => ({ name: 'Mine', identifier, scopes: [{ name: 'read', description: '' }] });
  const refused = refusedWithoutWriting(async () => ({ apis: (await store.apis.list({ limit: 100 })).items, audit: await store.audit.count({}) }));

  manageStorePerTest((fresh) => {
    ({ store, clock } = fresh);
    ctx = fresh.ctx;
  });

  it('refuses the issuer and every address under it, compared as parsed URLs (host case, default port, final slash, path case)', () => {
    for (const id of [
      MANAGE_ISSUER,
      `${MANAGE_ISSUER}/`,
      `${MANAGE_ISSUER}/userinfo`,
      `${MANAGE_ISSUER}/token?x=1`,
      'https://ID.Example.COM:443/idp/userinfo',
      'https://id.example.com/IDP/userinfo',
      'https://id.example.com/other/../idp/userinfo',
    ]) {
      expect(
        validation(() => refuseOwnAddress(id, MANAGE_ISSUER)),
        id,
      ).toMatchObject({ field: 'identifier', message: expect.stringMatching(OWN) as unknown });
    }
    for (const id of [
      'https://id.example.com/idpx',
      'https://id.example.com/',
      'https://id.example.com/api/idp',
      'https://id.example.com:8443/idp/userinfo',
      'https://api.example.com/idp',
      'http://id.example.com/idp',
    ]) {
      expect(() => refuseOwnAddress(id, MANAGE_ISSUER), id).not.toThrow();
    }
    // An issuer at the root of its host owns the whole origin.
    expect(() => refuseOwnAddress('https://id.example.com/orders', 'https://id.example.com')).toThrow(/this server's own address/);
    expect(() => refuseOwnAddress('https://orders.id.example.com/', 'https://id.example.com')).not.toThrow();
  });

  it('refuses to create such an API, writing nothing', async () => {
    await refused(() => createApi(ctx, api(`${MANAGE_ISSUER}/userinfo`)), ValidationError, OWN);
    await refused(() => createApi(ctx, api(MANAGE_ISSUER)), ValidationError, OWN);
    expect((await createApi(ctx, api('https://id.example.com/orders'))).identifier).toBe('https://id.example.com/orders');
  });

  it('refuses to change an identifier to such an address, writing nothing; one stored before the rule does not block the rest', async () => {
    const orders = await createApi(ctx, api('https://api.example.com/orders'));
    await refused(() => updateApi(ctx, orders.id, { identifier: `${MANAGE_ISSUER}/userinfo` }), ValidationError, OWN);
    const old = await store.apis.create(
      { id: 'old-api', name: 'Old', identifier: `${MANAGE_ISSUER}/old`, scopes: [{ name: 'read', description: '' }], tokenLifetime: null, tokenFormat: 'jwt', accepts: 'both' },
      clock.now(),
    );
    expect(await updateApi(ctx, old.id, { name: 'Renamed', identifier: old.identifier })).toMatchObject({ changed: ['name'] });
  });
});
