// The issue-28 client rules of src/manage/clients.ts (src/manage/client-sender-constraints.ts) on a real SQLite store:
// require_pushed_authorization_requests (RFC 9126 §6) and dpop_bound_access_tokens (RFC 9449 §5.2). Both default to
// false, are stored and read back, change through updateClient (absent keeps them), are audited by their registration
// names, and are refused (writing nothing) when not a boolean or, for PAR, on a client that makes no authorization request.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { checkNewClient, createClient, findClient, setClientSettings, updateClient, type ClientContext, type NewClientInput } from '../../src/manage/clients.js';
import type { Store } from '../../src/store/store.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';

describe('clients required to push their requests and to bind their tokens with DPoP, on a real store', () => {
  let store: Store;
  let ctx: ClientContext;

  const snapshot = async () => ({ clients: (await store.clients.list({ limit: 100 })).items, audit: await store.audit.count({}) });
  const refused = refusedWithoutWriting(snapshot);
  const lastEvent = async () => (await store.audit.list({ limit: 1 }))[0];
  const app = (overrides: Partial<NewClientInput> = {}): NewClientInput => ({ name: 'Bank app', redirectUris: ['https://bank.example/cb'], ...overrides });

  manageStorePerTest((fresh) => {
    store = fresh.store;
    ctx = fresh.ctx;
  });

  it('registers a client with neither rule by default, as before, and audits both as false', async () => {
    const { client } = await createClient(ctx, app());
    expect(await findClient(ctx, client.clientId)).toMatchObject({ requirePushedAuthorizationRequests: false, dpopBoundAccessTokens: false });
    expect((await lastEvent())?.details).toMatchObject({ require_pushed_authorization_requests: false, dpop_bound_access_tokens: false });
  });

  it('registers a public client that must push its requests and bind its tokens, reads both back and audits them', async () => {
    const { client } = await createClient(ctx, app({ isPublic: true, requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true }));
    expect(await findClient(ctx, client.clientId)).toMatchObject({ clientType: 'public', requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    expect(await lastEvent()).toMatchObject({ type: 'client.created', details: { require_pushed_authorization_requests: true, dpop_bound_access_tokens: true } });
  });

  it('lets a machine client require DPoP (client credentials are bound too) and a device client with redirect URIs require PAR', async () => {
    const machine = await createClient(ctx, app({ machine: true, redirectUris: [], dpopBoundAccessTokens: true }));
    expect(machine.client).toMatchObject({ dpopBoundAccessTokens: true, requirePushedAuthorizationRequests: false });
    const tv = await createClient(ctx, app({ device: true, requirePushedAuthorizationRequests: true }));
    expect(tv.client.requirePushedAuthorizationRequests).toBe(true);
  });

  it('turns each rule on and off through updateClient, absent keeping it, auditing each change by its registration name', async () => {
    const { client } = await createClient(ctx, app());
    const settings = { name: client.name, redirectUris: client.redirectUris };
    const on = await updateClient(ctx, client.clientId, { ...settings, requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true });
    expect(on.changed).toEqual(['require_pushed_authorization_requests', 'dpop_bound_access_tokens']);
    expect(on.client).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true, version: 2 });
    expect(await lastEvent()).toMatchObject({ type: 'client.updated', details: { changed: ['require_pushed_authorization_requests', 'dpop_bound_access_tokens'] } });
    // Absent keeps both: no change, no write, no event.
    const events = await store.audit.count({});
    const kept = await updateClient(ctx, client.clientId, settings);
    expect(kept).toMatchObject({ changed: [], client: { requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: true, version: 2 } });
    expect(await store.audit.count({})).toBe(events);
    const off = await setClientSettings(ctx, client.clientId, { dpopBoundAccessTokens: false });
    expect(off.changed).toEqual(['dpop_bound_access_tokens']);
    expect(await findClient(ctx, client.clientId)).toMatchObject({ requirePushedAuthorizationRequests: true, dpopBoundAccessTokens: false });
  });

  describe('refuses, writing nothing', () => {
    const cases: [string, Partial<NewClientInput>, RegExp][] = [
      ['PAR required of a machine client', { machine: true, redirectUris: [], requirePushedAuthorizationRequests: true }, /a machine client makes no authorization request .* nothing to push/],
      ['PAR required of a device-only client', { device: true, redirectUris: [], requirePushedAuthorizationRequests: true }, /uses only the device flow and makes no authorization request/],
      ['a PAR rule that is not a boolean', { requirePushedAuthorizationRequests: 'yes' as never }, /^require_pushed_authorization_requests must be true or false$/],
      ['a DPoP rule that is not a boolean', { dpopBoundAccessTokens: 1 as never }, /^dpop_bound_access_tokens must be true or false$/],
    ];
    for (const [what, input, message] of cases) {
      it(what, async () => {
        await refused(() => createClient(ctx, app(input)), ValidationError, message);
        await refused(() => checkNewClient(ctx, app(input)), ValidationError, message);
      });
    }

    it('the same on an update: a machine client turned into one that must push, a DPoP rule as text', async () => {
      const machine = (await createClient(ctx, app({ machine: true, redirectUris: [] }))).client;
      await refused(() => setClientSettings(ctx, machine.clientId, { requirePushedAuthorizationRequests: true }), ValidationError, /nothing to push/);
      const web = (await createClient(ctx, app())).client;
      await refused(() => setClientSettings(ctx, web.clientId, { dpopBoundAccessTokens: 'true' as never }), ValidationError, /dpop_bound_access_tokens must be true or false/);
    });

    it('reports the field by its registration name, for the forms and registration errors', async () => {
      const error = await createClient(ctx, app({ machine: true, redirectUris: [], requirePushedAuthorizationRequests: true })).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('require_pushed_authorization_requests');
    });
  });
});
