// The account page side of the tests: a person signed in through the login page (return_to=/account), as a
// browser would, and the steps of using the account forms (this session's CSRF token added to each).
import { decodeJwt } from 'jose';
import { expect } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { addUser, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { tokensFor } from '../helpers/refresh.js';
import type { RunningApp } from '../helpers/start-app.js';

export interface SignedInPerson {
  browser: Browser;
  user: UserRecord;
  /** GET /account (with an optional query), expecting 200. */
  page(query?: string): Promise<Page>;
  /** The CSRF token the account page carries for this session. */
  csrf(): Promise<string>;
  /** POST a form to an /account path with this session's CSRF token added. */
  post(path: string, fields?: Record<string, string>): Promise<Page>;
  /** Whether this browser's session still opens the account page. */
  signedIn(): Promise<boolean>;
}

let people = 0;

/** A new person with a unique address (`label` helps reading failures). */
export function newPerson(app: RunningApp, label = 'person', name = 'Ada Lovelace'): Promise<UserRecord> {
  people += 1;
  return addUser(app, `${label}${people}.${process.pid}@example.com`, { name });
}

/** Opens /account anonymously, is sent to the login page, signs in there and is sent back. */
export async function signInToAccount(app: RunningApp, email: string, browser = new Browser(), password = PASSWORD): Promise<Page> {
  const first = await browser.get(`${app.url}/account`);
  expect(first.status, first.body).toBe(303);
  expect(first.location).toBe(`${app.url}/login?return_to=${encodeURIComponent(`${app.config.basePath}/account`)}`);
  const login = await browser.get(first.location ?? '');
  expect(login.status).toBe(200);
  return browser.postForm(`${app.url}/login`, { ...formFields(login.body), email, password });
}

export function csrfOf(page: Page): string {
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!token) throw new Error(`no CSRF token on the page (status ${page.status})`);
  return token;
}

export async function signedInPerson(app: RunningApp, user: UserRecord, browser = new Browser()): Promise<SignedInPerson> {
  const answer = await signInToAccount(app, user.email, browser);
  expect(answer.status, answer.body).toBe(303);
  expect(answer.location).toBe(`${app.url}/account`);
  return personIn(app, user, browser);
}

/** The account steps for a browser that already has a session of `user`. */
export function personIn(app: RunningApp, user: UserRecord, browser: Browser): SignedInPerson {
  const page = async (query = '') => {
    const answer = await browser.get(`${app.url}/account${query}`);
    expect(answer.status, `GET /account${query}: ${answer.location ?? ''}`).toBe(200);
    return answer;
  };
  const csrf = async () => csrfOf(await page());
  return {
    browser,
    user,
    page,
    csrf,
    async post(path, fields = {}) {
      return browser.postForm(`${app.url}${path}`, { csrf: await csrf(), ...fields });
    },
    async signedIn() {
      const answer = await browser.get(`${app.url}/account`);
      if (answer.status === 200) return true;
      expect(answer.status).toBe(303);
      expect(answer.location).toContain('/login?return_to=');
      return false;
    },
  };
}

/** Signs `user` in to `client` in `browser` (the form, or single sign-on) and returns the session's sid and tokens. */
export async function signInTo(app: RunningApp, client: TestClient, browser: Browser, user: UserRecord, scope = 'openid') {
  const tokens = await tokensFor(app, client, browser, scope, user.email);
  return { ...tokens, sid: String(decodeJwt(tokens.id_token).sid) };
}

/** The newest audit event id, so a test can tell what a request wrote. */
export async function lastEventId(app: RunningApp): Promise<number> {
  return (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
}

/** The part of the account page between two section headings' ids, to look at one section alone. */
export function section(page: Page, headingId: 'profile-heading' | 'password-heading' | 'sessions-heading' | 'events-heading'): string {
  const start = page.body.indexOf(`id="${headingId}"`);
  if (start === -1) throw new Error(`no ${headingId} on the page`);
  const end = page.body.indexOf('</section>', start);
  return page.body.slice(start, end);
}
