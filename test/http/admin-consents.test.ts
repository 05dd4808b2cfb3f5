// A person's connected apps on their admin page (issue 24). Abuse first: who may see and remove (anonymous visitors
// sent to the login page, non-administrators refused, a POST without this session's CSRF token refused), an
// application the person has nothing with (another person's, an unknown one) a 404 with nothing written. Then what
// the page shows (each application the person allowed or that holds their refresh tokens: its name as text, its
// party and origin, its scopes, when allowed and last used) and what "Remove access" does: the consent and the
// tokens of that application for the person go (the token endpoint answers invalid_grant), audited consent.revoked
// by 'admin' with the administrator as actor; the person's other applications and sessions stay.
import { beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor, type Tokens } from '../helpers/refresh.js';
import type { RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStrictAdminPage, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { appWithAdminPerTest, asStaleAdmin, eventsSince, isConfirmPage, lastEventId, noticeOf, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';

/** The user page's "Connected apps" section alone. */
function appsSection(body: string): string {
  const start = body.indexOf('id="connected-apps-heading"');
  if (start === -1) throw new Error('no "Connected apps" on the user page');
  return body.slice(start, body.indexOf('</section>', start));
}

describe('admin: a person’s connected apps (issue 24)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;
  let outside: TestClient;
  let wiki: TestClient;

  const unique = (prefix: string) => `${prefix}-${(serial += 1)}.${process.pid}@example.com`;
  const removePath = (user: UserRecord, client: TestClient) => `/admin/users/${user.id}/connected-apps/${client.clientId}/remove`;

  /** A person who allowed the third party's application and holds its refresh token, and a first-party one's. */
  async function connectedPerson(): Promise<{ user: UserRecord; outsideTokens: Tokens; wikiTokens: Tokens }> {
    const user = await addUser(app, unique('person'));
    await app.store.consents.grant(user.id, outside.clientId, ['openid', 'email', 'offline_access'], clock.now());
    const browser = new Browser();
    const outsideTokens = await tokensFor(app, outside, browser, 'openid email offline_access', user.email);
    const wikiTokens = await tokensFor(app, wiki, browser, 'openid offline_access', user.email);
    return { user, outsideTokens, wikiTokens };
  }

  async function standing(user: UserRecord, client: TestClient) {
    const [consent, holders] = await Promise.all([app.store.consents.find(user.id, client.clientId), app.store.refreshTokens.clientsOfUser(user.id, clock.now())]);
    return { consent: consent !== null, tokens: holders.some((summary) => summary.clientId === client.clientId) };
  }

  appWithAdminPerTest(clock, { started: (started) => (app = started), signedIn: (signedIn) => (admin = signedIn) });

  beforeAll(async () => {
    outside = await addClient(app, { name: `Outside ${XSS}`, thirdParty: true });
    wiki = await addClient(app, { name: 'Wiki', redirectUris: ['https://wiki.example.com/callback'] });
  });

  describe('who may see and remove', () => {
    let person: UserRecord;
    let plain: Browser;
    const routes = (): AdminRoute[] => [
      { method: 'GET', path: `/admin/users/${person.id}` },
      { method: 'POST', path: removePath(person, outside) },
    ];

    beforeAll(async () => {
      person = (await connectedPerson()).user;
      plain = await signedInNonAdmin(app, unique('plain'));
    });

    it('sends anonymous visitors to the login page and refuses non-administrators, removing nothing', async () => {
      await expectAnonymousSentToLogin(app, routes());
      await expectNonAdminRefused(app, plain, routes(), outside.clientId);
      expect(await standing(person, outside)).toEqual({ consent: true, tokens: true });
    });

    it('refuses a removal without this session’s CSRF token, removing nothing', async () => {
      await expectCsrfRefused(app, admin, await signedInAdmin(app, unique('other-admin')), routes());
      expect(await standing(person, outside)).toEqual({ consent: true, tokens: true });
    });

    it('answers 404 for an application the person has nothing with (another person’s, an unknown one) and for an unknown person, writing nothing', async () => {
      const owner = await connectedPerson();
      const stranger = await addUser(app, unique('stranger'));
      const before = await lastEventId(app);
      expect((await admin.post(removePath(stranger, outside), {})).status).toBe(404);
      expect((await admin.post(`/admin/users/${stranger.id}/connected-apps/no-such-client/remove`, {})).status).toBe(404);
      expect((await admin.post(`/admin/users/no-such-user/connected-apps/${outside.clientId}/remove`, {})).status).toBe(404);
      expect(await standing(owner.user, outside)).toEqual({ consent: true, tokens: true });
      expect(await lastEventId(app)).toBe(before);
    });
  });

  it('lists the person’s connected apps: name as text, third-party label, scopes, allowed or not asked, Remove access', async () => {
    const { user } = await connectedPerson();
    const other = await addUser(app, unique('unconnected'));
    const page = await admin.page(`/admin/users/${user.id}`);
    expectStrictAdminPage(page, 'user page');
    const section = appsSection(page.body);
    expect(section).toContain(`Outside ${XSS_ESCAPED}`);
    expect(section).not.toContain(XSS);
    expect(section).toContain('<span class="badge badge-warn">Third-party</span>');
    expect(section).toContain('<code>openid email offline_access</code>');
    expect(section).toContain('not asked');
    expect(section).toContain(`action="/admin/users/${user.id}/connected-apps/${outside.clientId}/remove"`);
    expect(section).toContain(`action="/admin/users/${user.id}/connected-apps/${wiki.clientId}/remove"`);
    expect(section).toContain(`<a href="/admin/clients/${wiki.clientId}">Wiki</a>`);
    expect(appsSection((await admin.page(`/admin/users/${other.id}`)).body)).toContain('No application holds a consent or a refresh token of this person.');
  });

  it('removes access as the administrator: the consent and that application’s tokens go, audited consent.revoked by admin; the other application stays', async () => {
    const { user, outsideTokens, wikiTokens } = await connectedPerson();
    const before = await lastEventId(app);
    const answer = await admin.post(removePath(user, outside), {});
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${app.url}/admin/users/${user.id}?done=app-removed`);
    expect(await standing(user, outside)).toEqual({ consent: false, tokens: false });
    expect((await refresh(app, outside, outsideTokens.refresh_token)).json.error).toBe('invalid_grant');
    const events = await eventsSince(app, before);
    expect(events.map((event) => [event.type, event.actor, event.subject, event.clientId, event.details.by])).toEqual([['consent.revoked', admin.user.id, user.id, outside.clientId, 'admin']]);
    // The first-party application's access is the person's still.
    expect(await standing(user, wiki)).toEqual({ consent: false, tokens: true });
    expect((await refresh(app, wiki, wikiTokens.refresh_token)).status).toBe(200);
    const page = await admin.page(`/admin/users/${user.id}?done=app-removed`);
    expect(noticeOf(page)).toContain('The application’s access was removed');
    expect(appsSection(page.body)).not.toContain(outside.clientId);
  });

  it('needs no recent sign-in: removing takes access away, as signing out does', async () => {
    const { user } = await connectedPerson();
    await asStaleAdmin(app, clock, unique('stale'), async (stale) => {
      const answer = await stale.post(removePath(user, wiki), {});
      expect(isConfirmPage(answer)).toBe(false);
      expect(answer.status).toBe(303);
    });
    expect(await standing(user, wiki)).toEqual({ consent: false, tokens: false });
  });
});
