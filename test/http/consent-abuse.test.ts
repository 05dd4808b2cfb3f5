// The consent form under attack (issue 24): a decision counts only when it comes from the page shown in the browser
// that started the request, to the account signed in there, once. Forged, cross-browser, replayed, stale and
// malformed POSTs are refused with a clear page and write nothing: no consent, no code, the request still usable
// where it still belongs to the person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addThirdParty, auditTypes, authorize, callbackOf, consentOf, decide, isConsentPage, pendingIsLive, tokensOf, unusedCodes } from './consent-helpers.js';

const EXPIRED = 'This sign-in link has expired or was already used.';

describe('consent: forged, cross-browser, replayed and malformed decisions', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let gadget: TestClient;
  let people = 0;
  const person = (): Promise<UserRecord> => addUser(app, `victim${++people}@example.com`);

  beforeAll(async () => {
    app = await startApp({ clock });
    gadget = await addThirdParty(app, { name: 'Gadget', redirectUris: ['https://callback.gadget.example/cb'] });
  });
  afterAll(() => app.stop());

  /** A person signed in, on the consent page for Gadget. */
  async function onConsentPage(): Promise<{ user: UserRecord; browser: Browser; authorization: Awaited<ReturnType<typeof authorize>> }> {
    const user = await person();
    const browser = new Browser();
    const authorization = await authorize(app, browser, gadget, {}, user.email);
    expect(isConsentPage(authorization.page), authorization.page.body).toBe(true);
    return { user, browser, authorization };
  }

  /** Nothing was decided: no consent, no code, no consent event, and the request is still waiting. */
  async function nothingDecided(user: UserRecord, page: Page): Promise<void> {
    expect(await consentOf(app, user.id, gadget)).toBeNull();
    expect((await auditTypes(app, user.id)).filter((type) => type.startsWith('consent.'))).toEqual([]);
    expect(await pendingIsLive(app, page)).toBe(true);
  }

  it('refuses a POST without the CSRF token, with a wrong one, or with another request’s: 403, and the real form still works', async () => {
    const { user, browser, authorization } = await onConsentPage();
    const other = await authorize(app, browser, gadget);
    expect(isConsentPage(other.page)).toBe(true);
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec(other.page.body)?.[1] ?? '';
    for (const csrf of [null, '', 'forged', otherCsrf]) {
      const answer = await decide(browser, authorization.page, 'allow', { csrf });
      expect(answer.status, String(csrf)).toBe(403);
      expect(answer.location).toBeNull();
      expect(answer.body).toContain('This form cannot be accepted');
    }
    await nothingDecided(user, authorization.page);
    expect(await unusedCodes(app, user.id, gadget)).toBe(0);
    await tokensOf(app, gadget, authorization, await decide(browser, authorization.page, 'allow'));
  });

  it('refuses the form and the page in another browser (its own cookie, or none), even signed in to the same account', async () => {
    const { user, authorization } = await onConsentPage();
    const elsewhere = new Browser();
    // Signed in as the same person in another browser: its own browser cookie and session.
    const login = await authorize(app, elsewhere, gadget, {}, user.email);
    expect(login.page.status).toBe(200);
    for (const browser of [elsewhere, new Browser()]) {
      const posted = await decide(browser, authorization.page, 'allow');
      expect(posted.status).toBe(403);
      expect(posted.body).toContain('started in another browser');
      const shown = await browser.get(authorization.page.url);
      expect(shown.status).toBe(403);
      expect(shown.body).not.toContain('name="decision"');
    }
    expect(await pendingIsLive(app, authorization.page)).toBe(true);
  });

  it('answers a replayed POST with the expired page and no second code', async () => {
    const { user, browser, authorization } = await onConsentPage();
    const first = await decide(browser, authorization.page, 'allow');
    expect(callbackOf(gadget, first).get('code')).toBeTruthy();
    for (const decision of ['allow', 'deny']) {
      const replay = await decide(browser, authorization.page, decision);
      expect(replay.status).toBe(400);
      expect(replay.location).toBeNull();
      expect(replay.body).toContain(EXPIRED);
    }
    expect((await auditTypes(app, user.id)).filter((type) => type.startsWith('consent.'))).toEqual(['consent.granted']);
    expect(await unusedCodes(app, user.id, gadget)).toBe(1);
  });

  it('refuses a decision that is neither allow nor deny with 400, before anything is used', async () => {
    const { user, browser, authorization } = await onConsentPage();
    for (const decision of [null, '', 'maybe', 'ALLOW', 'allow ']) {
      const answer = await decide(browser, authorization.page, decision, decision === null ? { decision: null } : {});
      expect(answer.status, String(decision)).toBe(400);
      expect(answer.location).toBeNull();
    }
    await nothingDecided(user, authorization.page);
    expect(await unusedCodes(app, user.id, gadget)).toBe(0);
  });

  it('a POST after the session ended gets the expired page; the page itself sends the browser to sign in again', async () => {
    const { user, browser, authorization } = await onConsentPage();
    browser.setCookie(new URL(app.url).origin, 'gatehouse_session', 'ended');
    const answer = await decide(browser, authorization.page, 'allow');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain(EXPIRED);
    await nothingDecided(user, authorization.page);
    const shown = await browser.get(authorization.page.url);
    expect(shown.status).toBe(303);
    expect(shown.location).toBe(`${app.url}/login?request=${new URL(authorization.page.url).searchParams.get('request') ?? ''}`);
  });

  it('a form shown to one account is stale once another signs in in that browser ("Not you?"): 403, nothing for either', async () => {
    const { user, browser, authorization } = await onConsentPage();
    const grace = await person();
    const otherAccount = /href="([^"]*\/login\?request=[^"]+)">Not you\?/.exec(authorization.page.body)?.[1] ?? '';
    const login = await browser.get(new URL(otherAccount.replace(/&amp;/g, '&'), app.url).toString());
    const hers = await browser.follow(await submitLogin(browser, login, grace.email), new URL(app.url).origin);
    expect(isConsentPage(hers)).toBe(true);
    expect(hers.body).toContain(`Signed in as <strong>${grace.email}</strong>`);
    const stale = await decide(browser, authorization.page, 'allow');
    expect(stale.status).toBe(403);
    await nothingDecided(user, authorization.page);
    expect(await consentOf(app, grace.id, gadget)).toBeNull();
    await tokensOf(app, gadget, authorization, await decide(browser, hers, 'allow'));
    expect(await consentOf(app, grace.id, gadget)).not.toBeNull();
    expect(await consentOf(app, user.id, gadget)).toBeNull();
  });

  it('a session that no longer meets the application’s rules is sent to sign in again, or refused by its access rule', async () => {
    const { user, browser, authorization } = await onConsentPage();
    await app.store.clients.update(gadget.clientId, { requireMfa: true }, clock.now());
    try {
      const posted = await decide(browser, authorization.page, 'allow');
      expect(posted.status).toBe(303);
      expect(posted.location).toBe(authorization.page.url);
      const shown = await browser.get(authorization.page.url);
      expect(shown.status).toBe(303);
      expect(new URL(shown.location ?? '').pathname).toBe('/login');
      await nothingDecided(user, authorization.page);
    } finally {
      await app.store.clients.update(gadget.clientId, { requireMfa: false }, clock.now());
    }
    await app.store.clients.update(gadget.clientId, { accessPolicy: 'groups', accessGroups: [] }, clock.now());
    try {
      const refused = await browser.get(authorization.page.url);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('You don&#39;t have access to Gadget');
      expect(await pendingIsLive(app, authorization.page)).toBe(false);
      expect(await consentOf(app, user.id, gadget)).toBeNull();
      expect(await unusedCodes(app, user.id, gadget)).toBe(0);
    } finally {
      await app.store.clients.update(gadget.clientId, { accessPolicy: 'everyone' }, clock.now());
    }
  });

  it('shows the expired page for an unknown request, and 404s nothing else', async () => {
    const page = await new Browser().get(`${app.url}/consent?request=made-up`);
    expect(page.status).toBe(400);
    expect(page.body).toContain(EXPIRED);
    expect((await new Browser().get(`${app.url}/consent`)).status).toBe(400);
  });
});
