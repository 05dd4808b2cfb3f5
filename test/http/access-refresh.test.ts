// Issue 21: an application restricted to groups admits only their members at the token endpoint too. Taking a
// person out of the group (or the group out of the application's rule) stops their refresh tokens for it at the
// next use (and their access tokens at userinfo at once): invalid_grant, the grant revoked (refresh and access tokens), audited `token.denied`; a code minted
// before the removal is refused at its exchange. Driven by a real relying-party library (openid-client); groups and
// rules are set with the store's methods.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import type { ClientRecord, GroupRecord, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { expectRefused, family, refresh, stored } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('the access rule at the token endpoint', () => {
  let app: RunningApp;
  let ada: UserRecord;
  let payroll: GroupRecord;
  let finance: GroupRecord;
  let client: TestClient;

  const now = () => app.clock.now();
  const setRule = (patch: Partial<ClientRecord>, to = client) => app.store.clients.update(to.clientId, patch, now());
  const userinfo = (accessToken: string) => fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  const deniedEvents = () => app.store.audit.list({ limit: 50, filter: { type: 'token.denied', subject: ada.id } });

  /** Signs Ada in to `as` and redeems the code with openid-client. */
  async function tokensFor(as: TestClient = client, scope = 'openid groups offline_access') {
    const start = await authorizationUrl(as, { scope });
    const tokens = await redeem(as, await signIn(new Browser(), app, start, 'ada@example.com'), start);
    return { tokens, grantId: (await stored(app, tokens.refresh_token ?? '')).grantId };
  }

  beforeAll(async () => {
    app = await startApp();
    ada = await addUser(app);
    payroll = await app.store.groups.create({ id: randomId(), name: 'payroll', description: '' }, now());
    finance = await app.store.groups.create({ id: randomId(), name: 'finance', description: '' }, now());
    client = await addClient(app, { name: 'Payroll' });
  });
  afterAll(() => app.stop());

  beforeEach(async () => {
    await app.store.groups.addMember(payroll.id, ada.id, now());
    await app.store.groups.removeMember(finance.id, ada.id);
    await setRule({ accessPolicy: 'groups', accessGroups: [payroll.id], claimGroups: [], groupsClaim: { kind: 'all' }, refreshReuseGrace: null });
  });

  it('refreshes a member as often as asked', async () => {
    const before = (await deniedEvents()).length;
    const { tokens } = await tokensFor();
    expect(tokens.claims()?.groups).toEqual(['payroll']);
    const again = await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
    const third = await oidc.refreshTokenGrant(client.config, again.refresh_token ?? '');
    expect(third.claims()?.groups).toEqual(['payroll']);
    expect(await deniedEvents()).toHaveLength(before);
  });

  it('refuses the next refresh after the person left the group, revoking every token of the grant, audited token.denied', async () => {
    const { tokens, grantId } = await tokensFor();
    const refreshed = await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
    await app.store.groups.removeMember(payroll.id, ada.id);

    await expect(oidc.refreshTokenGrant(client.config, refreshed.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
    expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 2 }, access: { live: 0, revoked: 2 } });
    for (const accessToken of [tokens.access_token, refreshed.access_token]) expect((await userinfo(accessToken)).status).toBe(401);
    const [event] = await deniedEvents();
    expect(event).toMatchObject({
      type: 'token.denied',
      actor: client.clientId,
      subject: ada.id,
      clientId: client.clientId,
      outcome: 'failure',
      details: { reason: 'access_rule', grant_type: 'refresh_token', grant_id: grantId, revoked_refresh_tokens: 2, revoked_access_tokens: 2 },
    });
    expect(JSON.stringify(event)).not.toContain(refreshed.refresh_token ?? '');

    // Back in the group, the revoked grant stays dead: a new sign-in is needed.
    await app.store.groups.addMember(payroll.id, ada.id, now());
    expectRefused(await refresh(app, client, refreshed.refresh_token ?? ''), 'invalid_grant', 'the refresh token has been revoked');
    expect((await tokensFor()).tokens.claims()?.groups).toEqual(['payroll']);
  });

  it("refuses the next refresh after the group was taken out of the application's rule", async () => {
    const { tokens, grantId } = await tokensFor();
    await setRule({ accessGroups: [finance.id] });
    expectRefused(await refresh(app, client, tokens.refresh_token ?? ''), 'invalid_grant', 'the user may not use this application');
    expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 1 }, access: { live: 0, revoked: 1 } });
    expect((await deniedEvents())[0]?.details).toMatchObject({ reason: 'access_rule', grant_id: grantId });
  });

  it('refuses the access token at userinfo as soon as the person left the group, before any refresh', async () => {
    const { tokens, grantId } = await tokensFor();
    const before = await userinfo(tokens.access_token);
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({ sub: ada.id, groups: ['payroll'] });
    await app.store.groups.removeMember(payroll.id, ada.id);
    const after = await userinfo(tokens.access_token);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    // Back in the group, the same token is answered again: userinfo refuses, only the token endpoint revokes.
    await app.store.groups.addMember(payroll.id, ada.id, now());
    expect((await userinfo(tokens.access_token)).status).toBe(200);
    expect((await family(app, grantId)).access.live).toBe(1);
  });

  it('refuses a refresh when the rule names no group any more (fails closed)', async () => {
    const { tokens, grantId } = await tokensFor();
    await setRule({ accessGroups: [] });
    await expect(oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await family(app, grantId)).refresh.live).toBe(0);
  });

  it('admits the person through another group of the rule, and everyone once the application is open to everyone', async () => {
    const before = (await deniedEvents()).length;
    const { tokens } = await tokensFor();
    await setRule({ accessGroups: [payroll.id, finance.id] });
    await app.store.groups.addMember(finance.id, ada.id, now());
    await app.store.groups.removeMember(payroll.id, ada.id);
    const viaFinance = await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
    expect(viaFinance.claims()?.groups).toEqual(['finance']);
    await app.store.groups.removeMember(finance.id, ada.id);
    await setRule({ accessPolicy: 'everyone' });
    const open = await oidc.refreshTokenGrant(client.config, viaFinance.refresh_token ?? '');
    expect(open.claims()?.groups).toEqual([]);
    expect(await deniedEvents()).toHaveLength(before);
  });

  it('refuses a retry within the reuse grace too: a retry is a refresh', async () => {
    await setRule({ refreshReuseGrace: 60 });
    const { tokens, grantId } = await tokensFor();
    await oidc.refreshTokenGrant(client.config, tokens.refresh_token ?? '');
    await app.store.groups.removeMember(payroll.id, ada.id);
    expectRefused(await refresh(app, client, tokens.refresh_token ?? ''), 'invalid_grant', 'the user may not use this application');
    expect((await family(app, grantId)).refresh.live).toBe(0);
  });

  it('refuses a code minted before the person left the group: nothing is issued and the code stays spent', async () => {
    const start = await authorizationUrl(client, { scope: 'openid groups offline_access' });
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    await app.store.groups.removeMember(payroll.id, ada.id);
    await expect(redeem(client, callback, start)).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
    const [event] = await deniedEvents();
    expect(event).toMatchObject({
      type: 'token.denied',
      clientId: client.clientId,
      details: { reason: 'access_rule', grant_type: 'authorization_code', revoked_refresh_tokens: 0, revoked_access_tokens: 0 },
    });
    const grantId = String(event?.details.grant_id);
    expect(await family(app, grantId)).toEqual({ refresh: { live: 0, rotated: 0, revoked: 0 }, access: { live: 0, revoked: 0 } });
    // Back in the group, the same code is still spent.
    await app.store.groups.addMember(payroll.id, ada.id, now());
    await expect(redeem(client, callback, start)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('leaves the tokens of an application open to everyone alone when the person leaves a group', async () => {
    const open = await addClient(app, { name: 'Open' });
    const { tokens } = await tokensFor(open);
    await app.store.groups.removeMember(payroll.id, ada.id);
    const refreshed = await oidc.refreshTokenGrant(open.config, tokens.refresh_token ?? '');
    expect(refreshed.claims()?.groups).toEqual([]);
  });
});
