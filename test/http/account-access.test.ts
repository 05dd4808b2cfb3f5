// The account page's door: anonymous visitors are sent to sign in and brought back, every page is uncacheable
// and carries the security headers, and no form changes anything without this session's CSRF token (OWASP
// ASVS V4.2.2, V8.2.1, V14.4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenFor } from '../../src/interaction/pending-request.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { readOutbox } from '../helpers/outbox.js';
import { PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { lastEventId, newPerson, signedInPerson, signInToAccount } from './account-helpers.js';

const NEW_PASSWORD = 'a brand new passphrase for ada';

describe('account page: who may see it', () => {
  let app: RunningApp;
  const clock = new FakeClock();

  beforeAll(async () => {
    app = await startApp({ clock });
  });
  afterAll(() => app?.stop());

  it('sends an anonymous visitor to the login page and back to /account after signing in', async () => {
    const user = await newPerson(app, 'door');
    const browser = new Browser();
    const answer = await signInToAccount(app, user.email, browser);
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/account`);
    const page = await browser.get(answer.location ?? '');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>Your account</h1>');
    expect(page.body).toContain(user.email);
  });

  it('keeps the query of the page asked for through the sign-in', async () => {
    const browser = new Browser();
    const first = await browser.get(`${app.url}/account?done=name-changed`);
    expect(first.status).toBe(303);
    expect(first.location).toBe(`${app.url}/login?return_to=${encodeURIComponent('/account?done=name-changed')}`);
  });

  it('sends an anonymous form to the login page for /account, not back to the form', async () => {
    const answer = await new Browser().postForm(`${app.url}/account/name`, { csrf: 'x', name: 'Mallory' });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
  });

  it('answers 404 for an unknown path under /account and for a GET of a form’s address, signed in or not', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'lost'));
    for (const path of ['/account/missing', '/account/name', '/account/sessions/sign-out-all']) {
      expect((await new Browser().get(`${app.url}${path}`)).status, path).toBe(404);
      expect((await person.browser.get(`${app.url}${path}`)).status, path).toBe(404);
    }
  });

  it('treats a disabled account and an expired session as signed out', async () => {
    const disabled = await newPerson(app, 'disabled');
    const person = await signedInPerson(app, disabled);
    // Only the flag: the session row stays, and is still not enough.
    await app.store.users.update(disabled.id, { disabled: true }, clock.now());
    expect(await app.store.sessions.listForUser(disabled.id, clock.now())).toHaveLength(1);
    expect(await person.signedIn()).toBe(false);

    const idle = await signedInPerson(app, await newPerson(app, 'idle'));
    clock.advance((app.config.lifetimes.sessionIdle + 1) * 1000);
    expect(await idle.signedIn()).toBe(false);
  });

  it('answers no-store with the security headers, and the session cookie is HttpOnly and SameSite', async () => {
    const user = await newPerson(app, 'headers');
    const browser = new Browser();
    const answer = await signInToAccount(app, user.email, browser);
    const cookie = answer.headers.getSetCookie().find((line) => line.startsWith('gatehouse_session='));
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);

    for (const page of [await browser.get(`${app.url}/account`), await new Browser().get(`${app.url}/account`)]) {
      expect(page.headers.get('cache-control')).toBe('no-store');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('has no inline script or style on the page (only scripts from our own files)', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'inline'));
    const page = await person.page();
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
  });
});

describe('account page: every form needs this session’s CSRF token (403, nothing written)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app?.stop());

  const forms = (sid: string): [string, Record<string, string>][] => [
    ['/account/name', { name: 'Mallory' }],
    ['/account/email', { email: 'mallory@example.com', current_password: PASSWORD }],
    ['/account/email/verification', {}],
    ['/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD }],
    ['/account/sessions/sign-out', { sid }],
    ['/account/sessions/sign-out-all', {}],
  ];

  it('refuses a form without a token, with a forged one, with the admin screens’ token and with another session’s token', async () => {
    const user = await newPerson(app, 'csrf');
    const person = await signedInPerson(app, user);
    const other = await signedInPerson(app, await newPerson(app, 'csrf-other'));
    const otherToken = await other.csrf();
    const sessionSecret = person.browser.cookie(new URL(app.url).origin, 'gatehouse_session') ?? '';
    expect(sessionSecret).not.toBe('');
    const [session] = await app.store.sessions.listForUser(user.id, Date.now());
    const before = { event: await lastEventId(app), user: await app.store.users.findById(user.id) };

    const tokens: [string, Record<string, string>][] = [
      ['no token', {}],
      ['an empty token', { csrf: '' }],
      ['a forged token', { csrf: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      ['the admin screens’ token', { csrf: csrfTokenFor(sessionSecret, 'admin') }],
      ['another session’s token', { csrf: otherToken }],
    ];
    for (const [path, fields] of forms(session?.sid ?? '')) {
      for (const [label, token] of tokens) {
        const answer = await person.browser.postForm(`${app.url}${path}`, { ...fields, ...token });
        expect(answer.status, `${path} with ${label}`).toBe(403);
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(answer.body).toContain('The form has expired or did not come from this site.');
      }
    }

    expect(await lastEventId(app)).toBe(before.event);
    expect(await app.store.users.findById(user.id)).toEqual(before.user);
    expect((await app.store.sessions.listForUser(user.id, Date.now())).map((s) => s.sid)).toEqual([session?.sid]);
    expect(await readOutbox(app.config.dataDir)).toEqual([]);
    expect(await person.signedIn()).toBe(true);
  });

  it('refuses a repeated field as a malformed form, after the token is checked', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'repeated'));
    const csrf = await person.csrf();
    const body = new URLSearchParams([
      ['csrf', csrf],
      ['name', 'One'],
      ['name', 'Two'],
    ]).toString();
    const answer = await person.browser.request(`${app.url}/account/name`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body });
    expect(answer.status).toBe(400);
    expect((await app.store.users.findById(person.user.id))?.name).toBe('Ada Lovelace');
  });
});
