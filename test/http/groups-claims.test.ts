// Issue 21: scope `groups` releases the `groups` claim (the names of the person's groups) in the ID token, at
// userinfo and in the access token (RFC 9068 §2.2.3.1), filtered by the client's groups-claim mode (all, listed,
// prefix), read as the membership is now at every token response; discovery advertises both. Read by a real
// relying-party library (openid-client). Groups are set up with the store's methods.
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import type { ClientRecord, GroupRecord, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('the groups claim (scope groups) with openid-client', () => {
  let app: RunningApp;
  let ada: UserRecord;
  let bob: UserRecord;
  const groups: Record<string, GroupRecord> = {};

  const newGroup = async (name: string) => (groups[name] = await app.store.groups.create({ id: randomId(), name, description: '' }, app.clock.now()));
  const join = (name: string, user: UserRecord) => app.store.groups.addMember(groups[name]!.id, user.id, app.clock.now());
  const leave = (name: string, user: UserRecord) => app.store.groups.removeMember(groups[name]!.id, user.id);
  const setRule = (client: TestClient, patch: Partial<ClientRecord>) => app.store.clients.update(client.clientId, patch, app.clock.now());

  /** A whole sign-in and code exchange by openid-client, with the groups of the three places a client reads them. */
  async function signInFor(client: TestClient, email: string, scope: string) {
    const start = await authorizationUrl(client, { scope });
    const tokens = await redeem(client, await signIn(new Browser(), app, start, email), start);
    const sub = tokens.claims()?.sub ?? '';
    const userinfo = await oidc.fetchUserInfo(client.config, tokens.access_token, sub);
    return { tokens, idToken: tokens.claims() as Record<string, unknown>, userinfo: userinfo as Record<string, unknown>, accessToken: decodeJwt(tokens.access_token) };
  }

  const everywhere = (answer: Awaited<ReturnType<typeof signInFor>>) => ({ idToken: answer.idToken.groups, userinfo: answer.userinfo.groups, accessToken: answer.accessToken.groups });
  const same = (names: string[]) => ({ idToken: names, userinfo: names, accessToken: names });

  beforeAll(async () => {
    app = await startApp();
    ada = await addUser(app);
    bob = await addUser(app, 'bob@example.com', { name: 'Bob' });
    for (const name of ['wiki-readers', 'payroll', 'WIKI-Ops', 'ci-admins']) await newGroup(name);
    for (const name of ['wiki-readers', 'payroll', 'WIKI-Ops', 'ci-admins']) await join(name, ada);
  });
  afterAll(() => app.stop());

  it('releases every group of the person, in name order and as entered, in the ID token, userinfo and the access token (mode all, the default)', async () => {
    const client = await addClient(app);
    const answer = await signInFor(client, 'ada@example.com', 'openid groups');
    // `groups` is granted to a client registered with the default scopes, which do not name it.
    expect(answer.tokens.scope).toBe('openid groups');
    expect(everywhere(answer)).toEqual(same(['ci-admins', 'payroll', 'WIKI-Ops', 'wiki-readers']));
    expect(answer.accessToken.scope).toBe('openid groups');
  });

  it("releases only the client's access and claim groups (mode listed)", async () => {
    const client = await addClient(app, { name: 'Listed' });
    await setRule(client, { groupsClaim: { kind: 'listed' }, accessGroups: [groups['payroll']!.id], claimGroups: [groups['WIKI-Ops']!.id] });
    expect(everywhere(await signInFor(client, 'ada@example.com', 'openid groups'))).toEqual(same(['payroll', 'WIKI-Ops']));
  });

  it('releases only the groups whose name starts with the prefix, compared case-insensitively (mode prefix:wiki-)', async () => {
    const client = await addClient(app, { name: 'Wiki' });
    await setRule(client, { groupsClaim: { kind: 'prefix', prefix: 'wiki-' } });
    expect(everywhere(await signInFor(client, 'ada@example.com', 'openid groups'))).toEqual(same(['WIKI-Ops', 'wiki-readers']));
  });

  it('releases an empty list, not nothing, to a person in no group the client may see', async () => {
    const all = await addClient(app, { name: 'All for Bob' });
    expect(everywhere(await signInFor(all, 'bob@example.com', 'openid groups'))).toEqual(same([]));
    const prefixed = await addClient(app, { name: 'Other prefix' });
    await setRule(prefixed, { groupsClaim: { kind: 'prefix', prefix: 'hr-' } });
    expect(everywhere(await signInFor(prefixed, 'ada@example.com', 'openid groups'))).toEqual(same([]));
  });

  it('releases no groups claim anywhere when the scope was not asked for', async () => {
    const client = await addClient(app, { name: 'No groups scope' });
    const answer = await signInFor(client, 'ada@example.com', 'openid email');
    expect(answer.tokens.scope).toBe('openid email');
    expect(everywhere(answer)).toEqual({ idToken: undefined, userinfo: undefined, accessToken: undefined });
    expect(answer.userinfo).toEqual({ sub: ada.id, email: 'ada@example.com', email_verified: false });
  });

  it('gives a refreshed token, and userinfo, the membership as it is now: a group joined or left between refreshes shows', async () => {
    const client = await addClient(app, { name: 'Refreshing' });
    const first = await signInFor(client, 'bob@example.com', 'openid groups offline_access');
    expect(everywhere(first)).toEqual(same([]));

    await join('payroll', bob);
    const second = await oidc.refreshTokenGrant(client.config, first.tokens.refresh_token ?? '');
    expect([second.claims()?.groups, decodeJwt(second.access_token).groups]).toEqual([['payroll'], ['payroll']]);
    expect((await oidc.fetchUserInfo(client.config, second.access_token, bob.id)).groups).toEqual(['payroll']);

    await join('ci-admins', bob);
    await leave('payroll', bob);
    const third = await oidc.refreshTokenGrant(client.config, second.refresh_token ?? '');
    expect([third.claims()?.groups, decodeJwt(third.access_token).groups]).toEqual([['ci-admins'], ['ci-admins']]);
    // Userinfo reads it now too, even with the access token issued before the change.
    await leave('ci-admins', bob);
    expect((await oidc.fetchUserInfo(client.config, third.access_token, bob.id)).groups).toEqual([]);
  });

  it("follows a change of the client's mode at the next refresh", async () => {
    const client = await addClient(app, { name: 'Changing mode' });
    const first = await signInFor(client, 'ada@example.com', 'openid groups offline_access');
    expect(first.idToken.groups).toEqual(['ci-admins', 'payroll', 'WIKI-Ops', 'wiki-readers']);
    await setRule(client, { groupsClaim: { kind: 'prefix', prefix: 'CI-' } });
    const refreshed = await oidc.refreshTokenGrant(client.config, first.tokens.refresh_token ?? '');
    expect([refreshed.claims()?.groups, decodeJwt(refreshed.access_token).groups]).toEqual([['ci-admins'], ['ci-admins']]);
  });

  it('advertises the groups scope and claim in discovery', async () => {
    const client = await addClient(app, { name: 'Discovering' });
    const metadata = client.config.serverMetadata();
    expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'groups']));
    expect(metadata.claims_supported).toEqual(expect.arrayContaining(['sub', 'name', 'email', 'groups']));
  });
});
