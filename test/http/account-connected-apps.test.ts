// "Connected apps" on the account page (issue 24) over HTTP. Abuse first: a stranger's POST naming an application
// someone else uses removes nothing of anyone else's; a POST without this session's CSRF token, from no session,
// or naming no application / an unknown one / one the person has nothing with, is refused and writes nothing.
// Then what removal does: the consent goes (the next authorization asks again), every refresh token of that
// application for the person stops working (invalid_grant), the application is told (back-channel logout), it is
// audited consent.revoked by 'self', and the person stays signed in. And what the section shows: each application
// after a consent or after a first-party refresh token, its name as text, its https logo (the page's img-src
// widened by exactly that origin), its home page's host, what it may access in sentences, when it was last used.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, type Page } from '../helpers/browser.js';
import { LogoutReceiver } from '../helpers/logout-receiver.js';
import { addClient, authorizationUrl, open, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { csrfOf, lastEventId, newPerson, signedInPerson, type SignedInPerson } from './account-helpers.js';

const XSS = '<img src=x onerror=alert(1)>';
const XSS_ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';
const REMOVE = '/account/connected-apps/remove';

/** The "Connected apps" section alone. */
function appsSection(page: Page): string {
  const start = page.body.indexOf('id="connected-apps-heading"');
  if (start === -1) throw new Error('no "Connected apps" on the page');
  return page.body.slice(start, page.body.indexOf('</section>', start));
}

/** The client ids the section offers to remove, in the page's order. */
function listedClients(page: Page): string[] {
  return [...appsSection(page).matchAll(/name="client" value="([^"]*)"/g)].map((match) => match[1] ?? '');
}

describe('account page: connected apps (issue 24)', () => {
  let app: RunningApp;
  let receiver: LogoutReceiver;
  /** A third party's application, with a logo, a home page, and a back-channel logout URI. */
  let outside: TestClient;
  /** The organisation's own application: no consent asked, offline access granted silently. */
  let wiki: TestClient;

  /** A person signed in to the account page, who allowed `client` these scopes (stored as the consent page stores it). */
  async function consentingPerson(label: string, client: TestClient, scopes = ['openid', 'email', 'offline_access']): Promise<SignedInPerson> {
    const user = await newPerson(app, label);
    await app.store.consents.grant(user.id, client.clientId, scopes, app.clock.now());
    return signedInPerson(app, user);
  }

  /** Whether the person has a consent with the client, and whether the client holds live refresh tokens of theirs. */
  async function standing(user: UserRecord, client: TestClient) {
    const [consent, holders] = await Promise.all([app.store.consents.find(user.id, client.clientId), app.store.refreshTokens.clientsOfUser(user.id, app.clock.now())]);
    return { consent: consent !== null, tokens: holders.some((summary) => summary.clientId === client.clientId) };
  }

  /**
   * Waits until the back-channel logout sent to the application about `user` is audited (it lands after the removal
   * answered), so that no later test sees it arrive among what its own requests wrote.
   */
  async function deliveredTo(user: UserRecord): Promise<void> {
    await expect.poll(async () => (await app.store.audit.list({ limit: 5, filter: { type: 'logout.backchannel_delivered', subject: user.id } })).length).toBe(1);
  }

  beforeAll(async () => {
    app = await startApp();
    receiver = await LogoutReceiver.start();
    outside = await addClient(app, {
      name: `Outside ${XSS}`,
      thirdParty: true,
      logoUri: 'https://cdn.outside.example/logo.png',
      clientUri: 'https://outside.example/about',
      backchannelLogoutUri: receiver.url,
    });
    wiki = await addClient(app, { name: 'Wiki', redirectUris: ['https://wiki.example.com/callback'] });
  });

  afterAll(async () => {
    await receiver?.close();
    await app?.stop();
  });

  describe('who can remove what', () => {
    it('lets a stranger remove nothing of someone else’s: a POST naming an application only the other person uses finds nothing and writes nothing', async () => {
      const owner = await consentingPerson('owner', outside);
      const ownerTokens = await tokensFor(app, outside, owner.browser, 'openid email offline_access', owner.user.email);
      const stranger = await signedInPerson(app, await newPerson(app, 'stranger'));
      const before = await lastEventId(app);
      const answer = await stranger.post(REMOVE, { client: outside.clientId });
      expect(answer.status).toBe(404);
      expect(answer.body).toContain('That application has no access to your account.');
      expect(await standing(owner.user, outside)).toEqual({ consent: true, tokens: true });
      expect(await lastEventId(app)).toBe(before);
      expect((await refresh(app, outside, ownerTokens.refresh_token)).status).toBe(200);
    });

    it('removes only the person’s own access when both people use the application', async () => {
      const owner = await consentingPerson('shared-owner', outside);
      await tokensFor(app, outside, owner.browser, 'openid email offline_access', owner.user.email);
      const other = await consentingPerson('shared-other', outside);
      await tokensFor(app, outside, other.browser, 'openid email offline_access', other.user.email);
      const answer = await other.post(REMOVE, { client: outside.clientId });
      expect(answer.status).toBe(303);
      expect(await standing(other.user, outside)).toEqual({ consent: false, tokens: false });
      expect(await standing(owner.user, outside)).toEqual({ consent: true, tokens: true });
    });

    it('refuses a removal without this session’s CSRF token (absent, empty, forged, another person’s), writing nothing', async () => {
      const person = await consentingPerson('csrf', outside);
      const other = await signedInPerson(app, await newPerson(app, 'csrf-other'));
      const before = await lastEventId(app);
      for (const csrf of [undefined, '', 'forged', csrfOf(await other.page())]) {
        const fields: Record<string, string> = csrf === undefined ? { client: outside.clientId } : { client: outside.clientId, csrf };
        const answer = await person.browser.postForm(`${app.url}${REMOVE}`, fields);
        expect(answer.status, String(csrf)).toBe(403);
      }
      expect((await standing(person.user, outside)).consent).toBe(true);
      expect(await lastEventId(app)).toBe(before);
    });

    it('sends a POST from no session to the login page, writing nothing', async () => {
      const person = await consentingPerson('anonymous', outside);
      const before = await lastEventId(app);
      const answer = await new Browser().postForm(`${app.url}${REMOVE}`, { client: outside.clientId, csrf: await person.csrf() });
      expect(answer.status).toBe(303);
      expect(answer.location).toContain('/login?return_to=');
      expect((await standing(person.user, outside)).consent).toBe(true);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses an unknown application, none named, or the field sent twice, writing nothing', async () => {
      const person = await consentingPerson('unknown', outside);
      const before = await lastEventId(app);
      expect((await person.post(REMOVE, { client: 'no-such-client' })).status).toBe(404);
      expect((await person.post(REMOVE, { client: '' })).status).toBe(404);
      expect((await person.post(REMOVE)).status).toBe(404);
      const csrf = await person.csrf();
      const twice = await person.browser.request(`${app.url}${REMOVE}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([
          ['csrf', csrf],
          ['client', outside.clientId],
          ['client', wiki.clientId],
        ]).toString(),
      });
      expect(twice.status).toBe(400);
      expect((await standing(person.user, outside)).consent).toBe(true);
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses an application the person has nothing with (registered, but never allowed or used by them), writing nothing', async () => {
      const person = await consentingPerson('nothing', outside);
      const before = await lastEventId(app);
      expect((await person.post(REMOVE, { client: wiki.clientId })).status).toBe(404);
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('removing access', () => {
    it('deletes the consent, so that the next authorization asks again; audited consent.revoked by the person', async () => {
      const person = await consentingPerson('asks-again', outside, ['openid', 'email']);
      // With the consent, a signed-in person's authorization goes straight back to the application.
      const silent = await open(person.browser, app, (await authorizationUrl(outside, { scope: 'openid email' })).url);
      expect(silent.status, silent.body).toBe(303);
      expect(new URL(silent.location ?? '').searchParams.get('code')).toBeTruthy();

      const before = await lastEventId(app);
      const answer = await person.post(REMOVE, { client: outside.clientId });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/account?done=app-removed`);
      expect(await app.store.consents.find(person.user.id, outside.clientId)).toBeNull();
      // The back-channel delivery to the application (it had a code in this session) is audited too, when it lands.
      await deliveredTo(person.user);
      const events = (await app.store.audit.list({ limit: 10 })).filter((event) => event.id > before && event.type !== 'logout.backchannel_delivered');
      expect(events.map((event) => [event.type, event.actor, event.subject, event.clientId, event.details.client_id, event.details.by])).toEqual([
        ['consent.revoked', person.user.id, person.user.id, outside.clientId, outside.clientId, 'self'],
      ]);

      // The person is still signed in (they removed an application, they did not sign out), and is asked again.
      expect(await person.signedIn()).toBe(true);
      const asked = await open(person.browser, app, (await authorizationUrl(outside, { scope: 'openid email' })).url);
      expect(asked.status, asked.location ?? '').toBe(200);
      expect(new URL(asked.url).pathname).toBe('/consent');
      const none = await open(person.browser, app, (await authorizationUrl(outside, { scope: 'openid email', prompt: 'none' })).url);
      expect(new URL(none.location ?? '').searchParams.get('error')).toBe('consent_required');

      const page = await person.page('?done=app-removed');
      expect(page.body).toContain('The application’s access was removed');
      expect(listedClients(page)).toEqual([]);
    });

    it('revokes the application’s refresh tokens (the token endpoint answers invalid_grant) and sends it a back-channel logout', async () => {
      const person = await consentingPerson('revokes', outside);
      const tokens = await tokensFor(app, outside, person.browser, 'openid email offline_access', person.user.email);
      const sid = String(decodeJwt(tokens.id_token).sid);
      const received = receiver.received.length;
      expect((await person.post(REMOVE, { client: outside.clientId })).status).toBe(303);

      const refused = await refresh(app, outside, tokens.refresh_token);
      expect(refused.status).toBe(400);
      expect(refused.json.error).toBe('invalid_grant');
      expect(await standing(person.user, outside)).toEqual({ consent: false, tokens: false });

      await receiver.waitFor(received + 1);
      const logout = decodeJwt(receiver.tokens.at(-1) ?? '');
      expect(logout).toMatchObject({ iss: app.config.issuer, aud: outside.clientId, sub: person.user.id, sid });
      await deliveredTo(person.user);
      const event = (await app.store.audit.list({ limit: 5, filter: { type: 'consent.revoked' } }))[0];
      expect(event?.details).toMatchObject({ client_id: outside.clientId, by: 'self' });
      expect(Number(event?.details.tokens_revoked)).toBeGreaterThan(0);
    });

    it('removes a first-party application that holds a refresh token (no consent was ever asked)', async () => {
      const person = await signedInPerson(app, await newPerson(app, 'first-party'));
      const tokens = await tokensFor(app, wiki, person.browser, 'openid offline_access', person.user.email);
      expect(listedClients(await person.page())).toEqual([wiki.clientId]);
      expect((await person.post(REMOVE, { client: wiki.clientId })).status).toBe(303);
      expect((await refresh(app, wiki, tokens.refresh_token)).json.error).toBe('invalid_grant');
      expect(listedClients(await person.page())).toEqual([]);
      // Nothing left to remove: a second POST is refused and writes nothing.
      const before = await lastEventId(app);
      expect((await person.post(REMOVE, { client: wiki.clientId })).status).toBe(404);
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('what the section shows', () => {
    it('says so when no application is connected', async () => {
      const person = await signedInPerson(app, await newPerson(app, 'empty'));
      const page = await person.page();
      expect(page.body).toContain('<h2 id="connected-apps-heading">Connected apps</h2>');
      const section = appsSection(page);
      expect(section).toContain('No application has access to your account.');
      expect(section).not.toContain('<form');
    });

    it('lists an application after a consent: its name as text, https logo, home page host, what it may access, Remove access', async () => {
      const person = await consentingPerson('lister', outside, ['openid', 'email', 'offline_access']);
      const page = await person.page();
      const section = appsSection(page);
      expect(section).toContain(`Outside ${XSS_ESCAPED}`);
      expect(section).not.toContain(XSS);
      expect(section).toContain('<img src="https://cdn.outside.example/logo.png" alt=""');
      expect(section).toContain('<a href="https://outside.example/about" rel="noopener noreferrer">outside.example</a>');
      expect(section).toContain('See your email address');
      expect(section).toContain(`Stay signed in to Outside ${XSS_ESCAPED} while you`);
      expect(section).toContain('Not used since you allowed it');
      expect(listedClients(page)).toEqual([outside.clientId]);
      expect(section).toMatch(/<form method="post" action="\/account\/connected-apps\/remove"[^>]*>\s*<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/);
      // The logo's origin, and no other, is added to the page's img-src.
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/img-src 'self' data: https:\/\/cdn\.outside\.example(;|$)/);
    });

    it('lists a first-party application after it received a refresh token, with when it was last used', async () => {
      const person = await signedInPerson(app, await newPerson(app, 'offline'));
      await tokensFor(app, wiki, person.browser, 'openid offline_access', person.user.email);
      const section = appsSection(await person.page());
      expect(section).toContain('Wiki');
      expect(section).toMatch(/Last used [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M UTC/);
      expect(section).toContain('keeps you signed in');
      expect(section).not.toContain('<img');
      // Nothing but the site's own images: no logo, no widened policy.
      const page = await person.page();
      expect(page.headers.get('content-security-policy')).toMatch(/img-src 'self' data:(;|$)/);
    });

    it('shows neither a logo nor a home page that is not a web address a browser should be sent to', async () => {
      const odd = await addClient(app, { name: 'Odd', thirdParty: true });
      // A row from an old import, written past the registration rules.
      await app.store.clients.update(odd.clientId, { logoUri: 'http://insecure.example/logo.png', clientUri: 'javascript:alert(1)' }, app.clock.now());
      const person = await consentingPerson('odd', odd, ['openid']);
      const page = await person.page();
      const section = appsSection(page);
      expect(section).toContain('Odd');
      expect(section).not.toContain('<img');
      expect(section).not.toContain('javascript:');
      expect(section).not.toContain('Home page');
      expect(page.headers.get('content-security-policy')).not.toContain('insecure.example');
    });
  });
});
