// The login form as the sign-in tests submit it over and over: from one client address each (X-Forwarded-For
// through a trusted loopback proxy, TRUST_PROXY=loopback), so that the per-address budget of one test does not run
// into the next.
import { expect } from 'vitest';
import { Browser, formFields, type Page } from './browser.js';
import type { RunningApp } from './start-app.js';

/** A new browser on the sign-in form of /account from client address `ip`, and a way to submit it. */
export async function signInFormFrom(app: RunningApp, ip: string) {
  const browser = new Browser();
  const headers = { 'X-Forwarded-For': ip };
  const first = await browser.request(`${app.url}/login?return_to=${encodeURIComponent('/account')}`, { headers });
  expect(first.status, first.body).toBe(200);
  const fields = formFields(first.body);
  return {
    browser,
    ip,
    submit: (email: string, password: string) => browser.postForm(`${app.url}/login`, { ...fields, email, password }, headers),
  };
}

/** The login form's error message, or null when it shows none. */
export const loginAlertOf = (page: Page): string | null => /id="login-error">\s*<p class="error-summary-title">[^<]*<\/p>\s*<p>([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;
