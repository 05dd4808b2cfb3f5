import { readFileSync } from 'node:fs';
import path from 'node:path';
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser, formAction, formFields } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('the sign-in page', () => {
  let app: RunningApp;
  let client: TestClient;
  let origin: string;

  async function loginPage(browser = new Browser(), extra: Record<string, string> = {}) {
    return open(browser, app, (await authorizationUrl(client, extra)).url);
  }

  beforeAll(async () => {
    app = await startApp();
    origin = new URL(app.config.issuer).origin;
    await addUser(app);
    client = await addClient(app, { name: '<b>Evil & Co</b>' });
  });
  afterAll(() => app.stop());

  it('is an accessible form with labels, autocomplete hints, a CSRF token and no inline code', async () => {
    const page = await loginPage(new Browser(), { login_hint: 'a"<b>@example.com' });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('to continue to <strong>&lt;b&gt;Evil &amp; Co&lt;/b&gt;</strong>');
    expect(page.body).toMatch(/<label for="email">Email<\/label>\s*<input id="email" name="email" type="email" autocomplete="username"/);
    expect(page.body).toMatch(/<label for="password">Password<\/label>\s*<input id="password" name="password" type="password" autocomplete="current-password"/);
    expect(page.body).toContain('value="a&#34;&lt;b&gt;@example.com"');
    expect(formFields(page.body).csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.body).not.toMatch(/<script|<style|\sstyle=/i);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("form-action 'self' https://rp.example");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('answers a wrong password and an unknown email alike: same message, same status, no code, no session', async () => {
    const answers = [];
    for (const [email, password] of [['ada@example.com', 'a wrong password entirely'], ['nobody@example.com', PASSWORD]] as const) {
      const browser = new Browser();
      const answer = await submitLogin(browser, await loginPage(browser), email, password);
      expect(answer.location).toBeNull();
      expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
      answers.push([answer.status, /<p class="alert" role="alert" id="login-error">([^<]*)</.exec(answer.body)?.[1]]);
    }
    expect(answers).toEqual([[401, 'Incorrect email or password.'], [401, 'Incorrect email or password.']]);
  });

  it('verifies passwords exactly and refuses input over 4 KiB with the same message', async () => {
    for (const password of [`${PASSWORD} `, PASSWORD.toUpperCase(), 'x'.repeat(5000)]) {
      const browser = new Browser();
      const answer = await submitLogin(browser, await loginPage(browser), 'ada@example.com', password);
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('Incorrect email or password.');
    }
  });

  it('does not let a disabled user sign in', async () => {
    const user = await addUser(app, 'off@example.com');
    await app.store.users.update(user.id, { disabled: true }, Date.now());
    const browser = new Browser();
    const answer = await submitLogin(browser, await loginPage(browser), 'off@example.com');
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('Incorrect email or password.');
  });

  it('gives no code to a POST without the right CSRF token, and still accepts the genuine one', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const fields = { ...formFields(page.body), email: 'ada@example.com', password: PASSWORD };
    for (const csrf of ['', 'forged-value']) {
      const forged = await browser.postForm(formAction(page.body, page.url), { ...fields, csrf });
      expect(forged.status).toBe(403);
      expect(forged.location).toBeNull();
    }
    expect((await browser.postForm(formAction(page.body, page.url), fields)).status).toBe(303);
  });

  it('never completes a request with credentials sent from another browser', async () => {
    const first = new Browser();
    const page = await loginPage(first);
    const fields = { ...formFields(page.body), email: 'ada@example.com', password: PASSWORD };
    const attacker = new Browser();
    await loginPage(attacker);
    const stolen = await attacker.postForm(formAction(page.body, page.url), fields);
    expect(stolen.status).toBe(403);
    expect(stolen.location).toBeNull();
    expect((await first.postForm(formAction(page.body, page.url), fields)).status).toBe(303);
  });

  it('answers success with 303 to the client, and the pending request is single-use', async () => {
    const browser = new Browser();
    const page = await loginPage(browser);
    const fields = { ...formFields(page.body), email: 'ada@example.com', password: PASSWORD };
    const answer = await browser.postForm(formAction(page.body, page.url), fields);
    expect(answer.status).toBe(303);
    expect(new URL(answer.location ?? '').searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const replay = await browser.postForm(formAction(page.body, page.url), fields);
    expect(replay.status).toBe(400);
    expect(replay.location).toBeNull();
  });

  it('starts a new session id at sign-in, in an HttpOnly SameSite=Lax cookie, stored only hashed (no fixation)', async () => {
    const browser = new Browser();
    browser.setCookie(origin, 'gatehouse_session', 'planted-by-an-attacker');
    const page = await loginPage(browser);
    const answer = await submitLogin(browser, page, 'ada@example.com');
    const setCookie = answer.headers.getSetCookie().find((line) => line.startsWith('gatehouse_session=')) ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\//);
    const id = browser.cookie(origin, 'gatehouse_session') ?? '';
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await app.store.sessions.findLive(hashSecret(id), Date.now())).not.toBeNull();
    expect(readFileSync(path.join(app.config.dataDir, 'idp.sqlite')).includes(id)).toBe(false);
  });

  it('re-hashes a password stored with weaker argon2 parameters after a successful sign-in', async () => {
    const user = await addUser(app, 'legacy@example.com');
    const weak = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await app.store.users.update(user.id, { passwordHash: weak }, Date.now());
    const browser = new Browser();
    expect((await submitLogin(browser, await loginPage(browser), 'legacy@example.com')).status).toBe(303);
    expect((await app.store.users.findById(user.id))?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('records a session.started audit event for the user', async () => {
    const browser = new Browser();
    await submitLogin(browser, await loginPage(browser), 'ada@example.com');
    const [event] = await app.store.audit.list({ limit: 1 });
    expect(event).toMatchObject({ type: 'session.started', subject: client.clientId });
  });
});
