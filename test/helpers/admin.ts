// The admin side of the tests: an administrator signed in through the login page (return_to), and the
// steps of using the admin forms the way a browser would (each form's hidden fields, CSRF token included).
import { expect } from 'vitest';
import { createUser } from '../../src/manage/users.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from './browser.js';
import { PASSWORD } from './oidc.js';
import type { RunningApp } from './start-app.js';

export interface SignedInAdmin {
  browser: Browser;
  user: UserRecord;
  /** GET an admin path (e.g. '/admin/users'), expecting 200. */
  page(path: string): Promise<Page>;
  /** The CSRF token the admin pages carry for this session. */
  csrf(): Promise<string>;
  /** POST a form to an admin path with this session's CSRF token added. */
  post(path: string, fields: Record<string, string>): Promise<Page>;
}

export async function addAdmin(app: RunningApp, email = 'root@example.com', name = 'Root Admin'): Promise<UserRecord> {
  return createUser({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test' }, { email, password: PASSWORD, name, isAdmin: true });
}

/** Signs `email` in through /login?return_to=/admin, as a person would, and returns their browser. */
export async function signInToAdmin(app: RunningApp, email: string, browser = new Browser(), password = PASSWORD): Promise<Page> {
  const url = `${app.url}/admin`;
  const first = await browser.get(url);
  expect(first.status).toBe(303);
  const login = await browser.get(first.location ?? '');
  expect(login.status).toBe(200);
  const answer = await browser.postForm(`${app.url}/login`, { ...formFields(login.body), email, password });
  return answer;
}

export async function signedInAdmin(app: RunningApp, email = 'root@example.com'): Promise<SignedInAdmin> {
  const user = (await app.store.users.findByEmail(email)) ?? (await addAdmin(app, email));
  const browser = new Browser();
  const answer = await signInToAdmin(app, email, browser);
  expect(answer.status).toBe(303);
  const csrf = async () => {
    const home = await browser.get(`${app.url}/admin`);
    const token = /name="csrf" value="([^"]+)"/.exec(home.body)?.[1];
    if (!token) throw new Error('no CSRF token on the admin home page');
    return token;
  };
  return {
    browser,
    user,
    async page(path) {
      const page = await browser.get(`${app.url}${path}`);
      expect(page.status, `GET ${path}`).toBe(200);
      return page;
    },
    csrf,
    async post(path, fields) {
      return browser.postForm(`${app.url}${path}`, { csrf: await csrf(), ...fields });
    },
  };
}
