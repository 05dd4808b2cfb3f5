// The checks the access tests of the admin screens (clients, groups, attributes, APIs; admin-access.test.ts for the
// older ones) make on every route of a screen, shared instead of copied into each: a signed-in person who is not an
// administrator; anonymous visitors sent to the login page, non-administrators shown the 403 page, every page under the strict CSP with its POST forms carrying
// the CSRF token, every POST refused without this session's token, and a stale sign-in asked for the password; each
// writing nothing (no audit event).
import { expect } from 'vitest';
import { signInToAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, type Page } from '../helpers/browser.js';
import { addUser } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { isConfirmPage, lastEventId } from './admin-screen-helpers.js';

/** A new person without the admin flag, named Plain, signed in through the login page the admin section sends to: their browser. */
export async function signedInNonAdmin(app: RunningApp, email: string): Promise<Browser> {
  await addUser(app, email, { name: 'Plain' });
  const browser = new Browser();
  expect((await signInToAdmin(app, email, browser)).status).toBe(303);
  return browser;
}

/** A route of an admin screen, for the access tests that try each one. */
export interface AdminRoute {
  method: 'GET' | 'POST';
  path: string;
  form?: Record<string, string>;
  /** Whether a sign-in older than 15 minutes must be confirmed with the password first. */
  sensitive?: boolean;
}

/** Each route, from a browser without a session: a redirect to the login page, and no audit event. */
export async function expectAnonymousSentToLogin(app: RunningApp, routes: AdminRoute[]): Promise<void> {
  for (const route of routes) {
    const before = await lastEventId(app);
    const browser = new Browser();
    const answer = route.method === 'GET' ? await browser.get(app.url + route.path) : await browser.postForm(app.url + route.path, route.form ?? {});
    expect(answer.status, `${route.method} ${route.path}`).toBe(303);
    expect(new URL(answer.location ?? '').pathname).toBe('/login');
    expect(await lastEventId(app)).toBe(before);
  }
}

/**
 * Each route, from `plain` (signed in, not an administrator): the 403 page, without `hidden` (something only an
 * administrator may see) when given, and no audit event.
 */
export async function expectNonAdminRefused(app: RunningApp, plain: Browser, routes: AdminRoute[], hidden?: string): Promise<void> {
  for (const route of routes) {
    const before = await lastEventId(app);
    const answer = route.method === 'GET' ? await plain.get(app.url + route.path) : await plain.postForm(app.url + route.path, { csrf: 'x', ...route.form });
    expect(answer.status, `${route.method} ${route.path}`).toBe(403);
    expect(answer.body).toContain('Administrators only');
    // The language switcher sends the person back to the address they asked for (issue 25), which names what they
    // typed; what must not show is anything the page itself would have told them.
    if (hidden !== undefined) expect(answer.body.replace(/<form\b[^>]*class="language-switcher"[\s\S]*?<\/form>/, '')).not.toContain(hidden);
    expect(await lastEventId(app)).toBe(before);
  }
}

/**
 * An administrator's page: 200, never cached, under the strict CSP (no inline script, style or handler), every form
 * that changes anything (POST) carrying the session's CSRF token and the search forms (GET) none.
 */
export function expectStrictAdminPage(page: Page, label: string): void {
  expect(page.status, label).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|\son[a-z]+="/i);
  for (const form of page.body.match(/<form\b[\s\S]*?<\/form>/g) ?? []) {
    if (/<form\b[^>]*method="get"/i.test(form)) expect(form).not.toContain('name="csrf"');
    else expect(form).toMatch(/name="csrf" value="[A-Za-z0-9_-]{43}"/);
  }
}

/** expectStrictAdminPage on the answer to each GET route, as `admin`. */
export async function expectStrictAdminPages(app: RunningApp, admin: SignedInAdmin, routes: AdminRoute[]): Promise<void> {
  for (const route of routes.filter((r) => r.method === 'GET')) expectStrictAdminPage(await admin.browser.get(app.url + route.path), route.path);
}

/**
 * Each POST route as `admin`, without the CSRF token, with an empty one, a forged one and `other`'s: 403, the
 * page that says the form did not come from this site, and no audit event.
 */
export async function expectCsrfRefused(app: RunningApp, admin: SignedInAdmin, other: SignedInAdmin, routes: AdminRoute[]): Promise<void> {
  for (const route of routes.filter((r) => r.method === 'POST')) {
    const before = await lastEventId(app);
    for (const csrf of [undefined, '', 'forged', await other.csrf()]) {
      const fields = csrf === undefined ? { ...route.form } : { ...route.form, csrf };
      const answer = await admin.browser.postForm(app.url + route.path, fields);
      expect(answer.status, route.path).toBe(403);
      expect(answer.body).toContain('did not come from this site');
    }
    expect(await lastEventId(app)).toBe(before);
  }
}

/**
 * Each sensitive route, as a stale administrator (asStaleAdmin, bound to the test's app and clock): the recent
 * sign-in page asking for the password, and no audit event.
 */
export async function expectStaleAdminAsked(app: RunningApp, routes: AdminRoute[], asStale: (body: (stale: SignedInAdmin) => Promise<void>) => Promise<void>): Promise<void> {
  for (const route of routes.filter((r) => r.sensitive)) {
    await asStale(async (stale) => {
      const before = await lastEventId(app);
      const answer = await stale.post(route.path, route.form ?? {});
      expect(isConfirmPage(answer), route.path).toBe(true);
      expect(answer.body).toContain('name="confirm_password"');
      expect(await lastEventId(app)).toBe(before);
    });
  }
}
