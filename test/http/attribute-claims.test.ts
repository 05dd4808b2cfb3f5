// Issue 21: attributes an administrator defines are released as their claim with their scope, in the ID token,
// at userinfo and in the access token, only for the granted scope and only when the person has a value; a standard
// claim (given_name) comes with its standard scope (profile); discovery lists the scopes and claims, and follows a
// definition made while the server runs. Read by a real relying-party library (openid-client). Definitions and
// values are set with the store's methods.
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRESH_MS } from '../../src/oidc/claim-catalog.js';
import type { AttributeDefinition, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, discoverAs, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

type Definition = Omit<AttributeDefinition, 'createdAt'>;

const DEFINITIONS: Definition[] = [
  { name: 'department', type: 'string', claim: 'department', scope: 'org', userVisible: true },
  { name: 'employee_number', type: 'number', claim: 'employee_number', scope: 'org', userVisible: false },
  { name: 'teams', type: 'list', claim: 'https://example.com/teams', scope: 'org', userVisible: false },
  { name: 'contractor', type: 'boolean', claim: 'contractor', scope: 'hr', userVisible: false },
  { name: 'given_name', type: 'string', claim: 'given_name', scope: 'profile', userVisible: true },
  { name: 'phone_number', type: 'string', claim: 'phone_number', scope: 'phone', userVisible: true },
];

describe('attribute claims with openid-client', () => {
  // Real time (openid-client checks iat), moved only to age the claim catalog.
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let ada: UserRecord;

  async function signInFor(as: TestClient, scope: string, email = 'ada@example.com') {
    const start = await authorizationUrl(as, { scope });
    const tokens = await redeem(as, await signIn(new Browser(), app, start, email), start);
    const sub = tokens.claims()?.sub ?? '';
    return {
      scope: tokens.scope,
      idToken: tokens.claims() as Record<string, unknown>,
      userinfo: (await oidc.fetchUserInfo(as.config, tokens.access_token, sub)) as Record<string, unknown>,
      accessToken: decodeJwt(tokens.access_token) as Record<string, unknown>,
    };
  }

  /** The named claims in each of the three places (absent ones left out). */
  function picked(answer: Awaited<ReturnType<typeof signInFor>>, names: string[]) {
    const pick = (claims: Record<string, unknown>) => Object.fromEntries(names.filter((name) => Object.hasOwn(claims, name)).map((name) => [name, claims[name]]));
    return { idToken: pick(answer.idToken), userinfo: pick(answer.userinfo), accessToken: pick(answer.accessToken) };
  }
  const inAll = (claims: Record<string, unknown>) => ({ idToken: claims, userinfo: claims, accessToken: claims });
  const CLAIMS = ['department', 'employee_number', 'https://example.com/teams', 'contractor', 'given_name', 'phone_number'];

  beforeAll(async () => {
    app = await startApp({ clock });
    ada = await addUser(app);
    await addUser(app, 'bob@example.com', { name: 'Bob' });
    for (const definition of DEFINITIONS) await app.store.attributes.define(definition, clock.now());
    const values: Record<string, string | number | boolean | string[]> = {
      department: 'Analytical Engines',
      employee_number: 1815,
      teams: ['engines', 'notes'],
      // A false value is a value: released, not dropped.
      contractor: false,
      given_name: 'Ada',
      phone_number: '+44 20 7946 0000',
    };
    for (const [name, value] of Object.entries(values)) await app.store.attributes.setValue(ada.id, name, value, clock.now());
    // The server loaded the (empty) catalog at start; a definition made in this process is told to it.
    app.claimCatalog.invalidate();
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('releases the attributes of a granted scope, each with its type, in the ID token, userinfo and the access token', async () => {
    const answer = await signInFor(client, 'openid org');
    // An attribute scope is granted to a client registered with the default scopes, which do not name it.
    expect(answer.scope).toBe('openid org');
    expect(picked(answer, CLAIMS)).toEqual(inAll({ department: 'Analytical Engines', employee_number: 1815, 'https://example.com/teams': ['engines', 'notes'] }));
  });

  it('releases a boolean attribute (false included) with its own scope only', async () => {
    expect(picked(await signInFor(client, 'openid hr'), CLAIMS)).toEqual(inAll({ contractor: false }));
    expect(picked(await signInFor(client, 'openid hr phone'), CLAIMS)).toEqual(inAll({ contractor: false, phone_number: '+44 20 7946 0000' }));
  });

  it('releases no attribute claim anywhere without its scope', async () => {
    const answer = await signInFor(client, 'openid email');
    expect(picked(answer, CLAIMS)).toEqual(inAll({}));
    expect(answer.userinfo).toEqual({ sub: ada.id, email: 'ada@example.com', email_verified: false });
  });

  it('releases a standard claim (given_name) with its standard scope (profile), beside the built-in name', async () => {
    const answer = await signInFor(client, 'openid profile');
    expect(picked(answer, CLAIMS)).toEqual(inAll({ given_name: 'Ada' }));
    expect([answer.idToken.name, answer.userinfo.name]).toEqual(['Ada Lovelace', 'Ada Lovelace']);
  });

  it('keeps to the client registration for profile: an attribute of profile is not released to a client without it', async () => {
    const narrow = await addClient(app, { name: 'No profile' });
    await app.store.clients.update(narrow.clientId, { scopes: ['openid', 'email'] }, clock.now());
    const answer = await signInFor(narrow, 'openid profile org');
    expect(answer.scope).toBe('openid org');
    expect(picked(answer, ['given_name', 'department'])).toEqual(inAll({ department: 'Analytical Engines' }));
  });

  it('leaves out the claim of an attribute the person has no value for', async () => {
    const answer = await signInFor(client, 'openid org hr profile phone', 'bob@example.com');
    expect(picked(answer, CLAIMS)).toEqual(inAll({}));
  });

  it('gives a refreshed token the values as they are now', async () => {
    const start = await authorizationUrl(client, { scope: 'openid org offline_access' });
    const first = await redeem(client, await signIn(new Browser(), app, start, 'ada@example.com'), start);
    await app.store.attributes.setValue(ada.id, 'department', 'Difference Engines', clock.now());
    await app.store.attributes.setValue(ada.id, 'employee_number', null, clock.now());
    const refreshed = await oidc.refreshTokenGrant(client.config, first.refresh_token ?? '');
    const claims = (token: Record<string, unknown>) => [token.department, token.employee_number];
    expect([claims(refreshed.claims() as Record<string, unknown>), claims(decodeJwt(refreshed.access_token))]).toEqual([
      ['Difference Engines', undefined],
      ['Difference Engines', undefined],
    ]);
    await app.store.attributes.setValue(ada.id, 'department', 'Analytical Engines', clock.now());
    await app.store.attributes.setValue(ada.id, 'employee_number', 1815, clock.now());
  });

  it('lists the attribute scopes and claims in discovery', async () => {
    const metadata = (await discoverAs(app, client.clientId, client.clientSecret, client.redirectUri)).config.serverMetadata();
    expect(metadata.scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access', 'groups', 'hr', 'org', 'phone']);
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['groups', ...CLAIMS]));
    expect(metadata.claims_supported?.filter((claim) => claim === 'given_name')).toHaveLength(1);
  });

  it('follows an attribute defined while the server runs within the catalog’s few seconds: discovery, the grantable scopes and the claims', async () => {
    await app.store.attributes.define({ name: 'badge', type: 'string', claim: 'badge', scope: 'badges', userVisible: false }, clock.now());
    await app.store.attributes.setValue(ada.id, 'badge', 'B-42', clock.now());
    clock.advance(FRESH_MS);
    // The Express route waits for the catalog's fresh list; the fast path serves it from then on.
    const viaExpress = (await (await fetch(`${app.url}/.well-known/openid-configuration?fresh`)).json()) as Record<string, string[]>;
    expect([viaExpress.scopes_supported?.includes('badges'), viaExpress.claims_supported?.includes('badge')]).toEqual([true, true]);
    const metadata = (await discoverAs(app, client.clientId, client.clientSecret, client.redirectUri)).config.serverMetadata();
    expect([metadata.scopes_supported?.includes('badges'), metadata.claims_supported?.includes('badge')]).toEqual([true, true]);
    const answer = await signInFor(client, 'openid badges');
    expect(answer.scope).toBe('openid badges');
    expect(picked(answer, ['badge'])).toEqual(inAll({ badge: 'B-42' }));
  });
});
