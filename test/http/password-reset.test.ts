// Password reset by mail (OWASP Forgot Password Cheat Sheet, NIST SP 800-63B §6.1.2.3): the same answer for
// every address, a single-use 256-bit link valid 30 minutes and stored only as a hash, a new password under
// the usual rules, and afterwards every session and token of the account revoked and a notice sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const NEW_PASSWORD = 'a brand new passphrase for ada';
const SUBJECT = /^Reset your password/;

describe('password reset by mail', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;
  let address = 0;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock, env: { TRUST_PROXY: 'loopback' } });
    client = await addClient(app);
  });

  afterAll(async () => {
    await app.stop();
  });

  /** Asks for a reset link for `email` from the "Forgot password?" page, as a person would, from a fresh address. */
  async function requestReset(email: string, browser = new Browser(), ip = `192.0.2.${++address}`): Promise<Page> {
    const headers = { 'X-Forwarded-For': ip };
    const login = await browser.request(`${app.url}/login?return_to=%2Faccount`, { headers });
    expect(login.body).toContain(`href="/forgot-password"`);
    const form = await browser.request(`${app.url}/forgot-password`, { headers });
    expect(form.status).toBe(200);
    return browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email }, headers);
  }

  /** The reset link of the newest reset mail to `email` (after `skip` earlier ones). */
  async function resetLink(email: string, skip = 0): Promise<string> {
    const mail = await waitForMail(app.config.dataDir, email, { subject: SUBJECT, skip });
    const link = mail.links.find((url) => url.startsWith(`${app.url}/reset-password?token=`));
    expect(link, mail.text).toBeDefined();
    return link ?? '';
  }

  async function choosePassword(browser: Browser, link: string, password: string, confirm = password): Promise<Page> {
    const form = await browser.get(link);
    expect(form.status, form.body).toBe(200);
    return browser.postForm(`${app.url}/reset-password`, { ...formFields(form.body), password, confirm });
  }

  async function signInStatus(email: string, password: string): Promise<number> {
    const browser = new Browser();
    const form = await browser.request(`${app.url}/login?return_to=%2Faccount`, { headers: { 'X-Forwarded-For': `192.0.2.${++address}` } });
    const answer = await browser.postForm(`${app.url}/login`, { ...formFields(form.body), email, password }, { 'X-Forwarded-For': `192.0.2.${address}` });
    return answer.status;
  }

  const newUser = (email: string): Promise<UserRecord> => addUser(app, email);

  it('answers every address the same way and mails a single-use link, stored only as its hash, to an account that exists', async () => {
    const ada = await newUser('ada.reset@example.com');
    const unknown = await requestReset('nobody.here@example.com');
    const known = await requestReset(ada.email);
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    // Each browser has its own CSRF token (the language switcher's form): the rest is the same to the byte.
    const same = (body: string, email: string) => body.replace(email, 'X').replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""');
    expect(same(known.body, ada.email)).toBe(same(unknown.body, 'nobody.here@example.com'));
    expect(known.body).toContain('Check your email');

    const link = await resetLink(ada.email);
    const token = new URL(link).searchParams.get('token') ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await queryRows<{ token_hash: string; purpose: string; expires_at: number | string }>(
      app,
      "SELECT token_hash, purpose, expires_at FROM account_tokens WHERE user_id = ? AND purpose = 'password_reset'",
      [ada.id],
    );
    expect(rows).toEqual([{ token_hash: hashSecret(token), purpose: 'password_reset', expires_at: expect.anything() }]);
    expect(Number(rows[0]?.expires_at)).toBe(clock.now() + 30 * MINUTE);
    // No mail went to the address without an account, and its request left no trace of the address.
    expect((await readOutbox(app.config.dataDir)).filter((mail) => mail.to.includes('nobody.here@example.com'))).toEqual([]);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'password_reset.requested' } });
    expect(event).toMatchObject({ subject: ada.id, actor: 'anonymous', outcome: 'success' });
    expect(JSON.stringify(await app.store.audit.list({ limit: 100 }))).not.toContain('nobody.here');
    expect(JSON.stringify(app.logs)).not.toContain(token);
  });

  it('lets the person set a new password through the link, then ends every session and token of the account and sends a notice', async () => {
    const ada = await newUser('ada.recovers@example.com');
    const signedIn = new Browser();
    const tokens = await tokensFor(app, client, signedIn, 'openid offline_access', ada.email);
    expect((await signedIn.get(`${app.url}/account`)).status).toBe(200);

    await requestReset(ada.email);
    const browser = new Browser();
    const done = await choosePassword(browser, await resetLink(ada.email), NEW_PASSWORD);
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Password changed');

    // The session that was signed in is gone, and so are its tokens, offline ones included.
    expect((await signedIn.get(`${app.url}/account`)).status).toBe(303);
    expect((await refresh(app, client, tokens.refresh_token)).json.error).toBe('invalid_grant');
    expect(await app.store.sessions.listForUser(ada.id, clock.now())).toEqual([]);
    // The old password no longer works; the new one does.
    expect(await signInStatus(ada.email, PASSWORD)).toBe(401);
    expect(await signInStatus(ada.email, NEW_PASSWORD)).toBe(303);

    const notice = await waitForMail(app.config.dataDir, ada.email, { subject: /password .* was changed/ });
    expect(notice.text).toContain(`${app.url}/forgot-password`);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'password_reset.completed' } });
    expect(event).toMatchObject({ actor: ada.id, subject: ada.id });
    // Reading the mail proved the address.
    expect((await app.store.users.findById(ada.id))?.emailVerified).toBe(true);
  });

  it('refuses a link that was already used, and changes nothing', async () => {
    const ada = await newUser('ada.twice@example.com');
    await requestReset(ada.email);
    const link = await resetLink(ada.email);
    const browser = new Browser();
    const form = await browser.get(link);
    const fields = formFields(form.body);
    expect((await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(200);
    const hash = (await app.store.users.findById(ada.id))?.passwordHash;

    const again = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: 'yet another passphrase here', confirm: 'yet another passphrase here' });
    expect(again.status).toBe(400);
    expect(again.body).toContain('expired or was already used');
    expect((await browser.get(link)).status).toBe(400);
    expect((await app.store.users.findById(ada.id))?.passwordHash).toBe(hash);
  });

  it('refuses a link after its 30 minutes', async () => {
    const ada = await newUser('ada.late@example.com');
    await requestReset(ada.email);
    const link = await resetLink(ada.email);
    const browser = new Browser();
    const form = await browser.get(link);
    expect(form.status).toBe(200);
    clock.advance(30 * MINUTE);
    expect((await browser.get(link)).status).toBe(400);
    const late = await browser.postForm(`${app.url}/reset-password`, { ...formFields(form.body), password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(late.status).toBe(400);
    expect(await signInStatus(ada.email, PASSWORD)).toBe(303);
  });

  it('keeps the link usable when the new password breaks a rule, and says which', async () => {
    const ada = await newUser('ada.rules@example.com');
    await requestReset(ada.email);
    const link = await resetLink(ada.email);
    const browser = new Browser();
    const short = await choosePassword(browser, link, 'short');
    expect(short.status).toBe(400);
    expect(short.body).toContain(`at least ${app.config.passwordMinLength} characters`);
    const mismatch = await choosePassword(browser, link, NEW_PASSWORD, NEW_PASSWORD + '!');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords are not the same.');
    expect(mismatch.body).not.toContain(NEW_PASSWORD);
    expect(await signInStatus(ada.email, PASSWORD)).toBe(303);
    expect((await choosePassword(browser, link, NEW_PASSWORD)).status).toBe(200);
  });

  it('lets only the newest link work', async () => {
    const ada = await newUser('ada.newest@example.com');
    await requestReset(ada.email);
    const first = await resetLink(ada.email);
    await requestReset(ada.email);
    const second = await resetLink(ada.email, 1);
    expect(second).not.toBe(first);
    expect((await new Browser().get(first)).status).toBe(400);
    expect((await new Browser().get(second)).status).toBe(200);
  });

  it("refuses a reset form that does not carry this browser's CSRF token", async () => {
    const ada = await newUser('ada.csrf@example.com');
    await requestReset(ada.email);
    const link = await resetLink(ada.email);
    const form = await new Browser().get(link);
    const fields = formFields(form.body);
    const attacker = new Browser();
    await attacker.get(`${app.url}/forgot-password`);
    const forged = await attacker.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(forged.status).toBe(403);
    expect(await signInStatus(ada.email, PASSWORD)).toBe(303);
  });

  it('sends no link to a disabled account, with the same answer', async () => {
    const ada = await newUser('ada.disabled@example.com');
    await app.store.users.update(ada.id, { disabled: true }, clock.now());
    const answer = await requestReset(ada.email);
    expect(answer.status).toBe(200);
    // A later request for another account is answered after this one; by then this one would have written its mail.
    const other = await newUser('ada.control@example.com');
    await requestReset(other.email);
    await resetLink(other.email);
    expect((await readOutbox(app.config.dataDir)).filter((mail) => mail.to.includes(ada.email) && SUBJECT.test(mail.subject))).toEqual([]);
  });

  it('throttles reset requests per address typed, the same for addresses without an account', async () => {
    const ada = await newUser('ada.flood@example.com');
    const statuses = async (email: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const answer = await requestReset(email);
        seen.push(`${answer.status} ${answer.headers.get('retry-after')}`);
      }
      return seen;
    };
    const known = await statuses(ada.email);
    const unknown = await statuses('nobody.flood@example.com');
    expect(known).toEqual(['200 null', '200 null', '200 null', '200 null', '200 null', '429 60']);
    expect(unknown).toEqual(known);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'password_reset.throttled' } });
    expect(event).toMatchObject({ outcome: 'failure', details: { by: 'account' } });
    // Refusals have no budget of their own: past 20 an hour from one address they are logged, not audited.
    const fromFlooder = async () => (await app.store.audit.list({ limit: 100, filter: { type: 'password_reset.throttled' } })).filter((e) => e.ip === '192.0.2.250').length;
    for (let i = 0; i < 30; i++) await requestReset(ada.email, new Browser(), '192.0.2.250');
    expect(await fromFlooder()).toBe(20);
  });

  it('refuses a malformed address with a field error and counts nothing', async () => {
    const answer = await requestReset('not an address');
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Enter the email address of your account.');
  });
});
