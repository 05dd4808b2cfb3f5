// Headers and cookies of every page a person sees (OWASP ASVS V14.4, V3.4, V4.2.2): a strict CSP with no inline
// script or style and no framing, no referrer, nosniff, no caching of personal pages, HSTS on an https issuer,
// cookies HttpOnly + SameSite (+ Secure and the __Host- prefix on https), and a CSRF token in every form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailPasswordReset, mailVerification } from '../../src/auth/account-links.js';
import { signedInAdmin } from '../helpers/admin.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

/** A Content-Security-Policy header as directive → values. */
const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name = '', ...values]) => [name, values]),
  );

/** Asserts the strict headers and body; returns how many POST forms it found (each checked for a CSRF token). */
function expectStrictPage(page: Page, label: string): number {
  expect(page.status, `${label}: ${page.body.slice(0, 300)}`).toBe(200);
  const csp = directives(page.headers.get('content-security-policy') ?? '');
  expect(csp.get('default-src'), label).toEqual(["'self'"]);
  expect(csp.get('script-src'), label).toEqual(["'self'"]);
  expect(csp.get('style-src'), label).toEqual(["'self'"]);
  expect(csp.get('script-src-attr'), label).toEqual(["'none'"]);
  expect(csp.get('object-src'), label).toEqual(["'none'"]);
  expect(csp.get('frame-ancestors'), label).toEqual(["'none'"]);
  expect(csp.get('base-uri'), label).toEqual(["'none'"]);
  expect(csp.get('form-action')?.[0], label).toBe("'self'");
  expect(page.headers.get('referrer-policy'), label).toBe('no-referrer');
  expect(page.headers.get('x-content-type-options'), label).toBe('nosniff');
  expect(page.headers.get('x-frame-options'), label).toBe('DENY');
  expect(page.headers.get('cache-control'), label).toBe('no-store');
  // Nothing the CSP would have to allow: no inline script, style or event handler.
  expect(page.body, label).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  expect(page.body, label).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  // Every form that changes something carries a CSRF token.
  const postForms = (page.body.match(/<form\b[\s\S]*?<\/form>/g) ?? []).filter((form) => /method="post"/i.test(form));
  for (const form of postForms) expect(form, label).toMatch(/<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/);
  return postForms.length;
}

function cookieLine(page: Page, name: string): string {
  const line = page.headers.getSetCookie().find((candidate) => candidate.startsWith(`${name}=`));
  expect(line, `Set-Cookie ${name}`).toBeDefined();
  return line ?? '';
}

describe('security headers and cookies of the pages people see', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });

  afterAll(async () => {
    await app.stop();
  });

  it('serves the sign-in, forgot-password, reset and verification pages with the strict headers', async () => {
    const user = await addUser(app, 'headers@example.com');
    const mail = { store: app.store, clock: app.clock, config: app.config, mailer: app.mailer, logger: app.logger };
    await mailPasswordReset(mail, user);
    await mailVerification(mail, user, user.email, false);
    const reset = (await waitForMail(app.config.dataDir, user.email, { subject: /^Reset/ })).links.find((link) => link.includes('/reset-password?')) ?? '';
    const verify = (await waitForMail(app.config.dataDir, user.email, { subject: /^Verify/ })).links.find((link) => link.includes('/verify-email?')) ?? '';
    const browser = new Browser();
    const postForms: Record<string, number> = {};
    for (const [label, url] of [
      ['login', `${app.url}/login?return_to=%2Faccount`],
      ['forgot password', `${app.url}/forgot-password`],
      ['reset password', reset],
      ['verify email', verify],
    ] as const) {
      postForms[label] = expectStrictPage(await browser.get(url), label);
    }
    // The CSRF check above ran on a form of every page (a page without one would have passed it vacuously).
    expect(Object.entries(postForms).filter(([, count]) => count === 0)).toEqual([]);
  });

  it('serves the account page and the admin screens with the strict headers', async () => {
    const admin = await signedInAdmin(app, 'headers-admin@example.com');
    const postForms: Record<string, number> = { account: expectStrictPage(await admin.page('/account'), 'account') };
    for (const path of ['/admin', '/admin/users', '/admin/clients', '/admin/keys', '/admin/audit']) postForms[path] = expectStrictPage(await admin.page(path), path);
    // The CSRF check ran on a form of every page (each has at least its sign-out form).
    expect(Object.entries(postForms).filter(([, count]) => count === 0)).toEqual([]);
  });

  it('sets the browser and session cookies HttpOnly, SameSite=Lax, Path=/, without Secure only on a loopback http issuer', async () => {
    await addUser(app, 'cookies@example.com');
    const browser = new Browser();
    const form = await browser.get(`${app.url}/login?return_to=%2Faccount`);
    expect(cookieLine(form, 'gatehouse_browser')).toMatch(/; Path=\/; HttpOnly; SameSite=Lax$/);
    const signedIn = await browser.postForm(`${app.url}/login`, { ...formFields(form.body), email: 'cookies@example.com', password: PASSWORD });
    expect(signedIn.status).toBe(303);
    const session = cookieLine(signedIn, 'gatehouse_session');
    expect(session).toMatch(/; HttpOnly; SameSite=Lax$/);
    expect(session).toContain('; Path=/;');
    expect(session).not.toContain('Secure');
  });

  it('on an https issuer, adds HSTS, Secure and the __Host- prefix', async () => {
    const secure = await startApp({ env: { ISSUER: 'https://idp.example.test' } });
    try {
      await addUser(secure, 'tls@example.com');
      const base = `http://127.0.0.1:${secure.config.port}`;
      const browser = new Browser();
      const form = await browser.get(`${base}/login?return_to=%2Faccount`);
      expect(form.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(form.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
      expect(cookieLine(form, '__Host-gatehouse_browser')).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      const signedIn = await browser.postForm(`${base}/login`, { ...formFields(form.body), email: 'tls@example.com', password: PASSWORD });
      expect(signedIn.status).toBe(303);
      expect(cookieLine(signedIn, '__Host-gatehouse_session')).toMatch(/; HttpOnly; Secure; SameSite=Lax$/);
      const account = await browser.get(`${base}/account`);
      expect(account.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect((await browser.get(`${base}/forgot-password`)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await secure.stop();
    }
  });
});
