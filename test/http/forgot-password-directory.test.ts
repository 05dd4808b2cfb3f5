// Password reset for directory people (issue 23): their password is the directory's, so "Forgot password?" mails
// them where to change it (the directory's own page when it has one) and no reset link; the page answers exactly
// as it does for anyone else (no enumeration). A reset link mailed before the account was linked sets nothing,
// nor does the account page's password form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { sealedProvider } from '../helpers/federation-fixtures.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const RESET_PAGE = 'https://password.corp.example/change';

describe('"Forgot password?" for people whose password a directory keeps', () => {
  let app: RunningApp;
  let address = 0;
  let dora: UserRecord;
  let lena: UserRecord;

  /** An ldap provider row (no directory needs to answer: nobody signs in here). */
  async function addDirectory(slug: string, name: string, passwordResetUrl: string | null, enabled = true): Promise<void> {
    const box = await openSecretBox(app.config);
    const settings = {
      url: 'ldap://127.0.0.1:1',
      startTls: false,
      ca: null,
      bindDn: 'cn=gatehouse,dc=example,dc=org',
      userBase: 'ou=people,dc=example,dc=org',
      userFilter: '(mail={email})',
      groupBase: null,
      attributes: { email: 'mail', name: 'displayName', memberOf: null },
      passwordResetUrl,
    };
    await app.store.identityProviders.create(sealedProvider(box, { slug, kind: 'ldap', name, enabled, jit: true, settings, secret: 'service-secret' }), app.clock.now());
  }

  const link = (user: UserRecord, slug: string) =>
    app.store.federatedIdentities.link({ providerSlug: slug, subject: `${slug}-${user.id}`, userId: user.id, email: user.email, createdAt: app.clock.now() });

  beforeAll(async () => {
    app = await startApp({ env: { TRUST_PROXY: 'loopback' } });
    await addDirectory('corp', 'Corp Directory', RESET_PAGE);
    await addDirectory('lab', 'Lab Directory', null);
    dora = await addUser(app, 'dora@example.org');
    lena = await addUser(app, 'lena@example.org');
    await link(dora, 'corp');
    await link(lena, 'lab');
  });

  afterAll(async () => {
    await app?.stop();
  });

  async function requestReset(email: string): Promise<Page> {
    const browser = new Browser();
    const headers = { 'X-Forwarded-For': `192.0.2.${++address}` };
    const form = await browser.request(`${app.url}/forgot-password`, { headers });
    expect(form.status).toBe(200);
    return browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email }, headers);
  }

  const resetTokens = async (userId: string) =>
    (await queryRows<{ user_id: string }>(app, `SELECT user_id FROM account_tokens WHERE purpose = 'password_reset' AND user_id = ?`, [userId])).length;

  it('answers as for anyone, and mails where to change the password instead of a reset link', async () => {
    const local = await addUser(app, 'local@example.org');
    const pages = await Promise.all([requestReset(dora.email), requestReset(local.email), requestReset('nobody@example.org')]);
    // Each browser has its own CSRF token (the language switcher's form): the rest is the same to the byte.
    const [directoryPage, localPage, unknownPage] = pages.map((page, i) =>
      page.body.replace([dora.email, local.email, 'nobody@example.org'][i] ?? '', 'X').replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""'),
    );
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200]);
    expect(directoryPage).toBe(localPage);
    expect(directoryPage).toBe(unknownPage);

    const mail = await waitForMail(app.config.dataDir, dora.email);
    expect(mail.subject).toMatch(/kept by Corp Directory/);
    expect(mail.text).toContain('Corp Directory');
    expect(mail.text).toContain(RESET_PAGE);
    expect(mail.links).toEqual([RESET_PAGE]);
    expect(mail.links.some((url) => url.includes('/reset-password'))).toBe(false);
    expect(await resetTokens(dora.id)).toBe(0);
    // The local person gets the usual link.
    const localMail = await waitForMail(app.config.dataDir, local.email);
    expect(localMail.links.some((url) => url.startsWith(`${app.url}/reset-password?token=`))).toBe(true);
    const [audit] = await app.store.audit.list({ limit: 1, filter: { type: 'password_reset.requested', subject: dora.id } });
    expect(audit).toMatchObject({ details: { provider: 'corp', link: false } });
  });

  it('says "ask your administrator" when the directory has no password page of its own', async () => {
    await requestReset(lena.email);
    const mail = await waitForMail(app.config.dataDir, lena.email);
    expect(mail.text).toContain('Lab Directory');
    expect(mail.text).toContain('ask your administrator');
    expect(mail.links).toEqual([]);
    expect(await resetTokens(lena.id)).toBe(0);
  });

  it('refuses a reset link mailed before the account was linked, writing nothing', async () => {
    const mo = await addUser(app, 'mo@example.org');
    await requestReset(mo.email);
    const mail = await waitForMail(app.config.dataDir, mo.email);
    const resetLink = mail.links.find((url) => url.startsWith(`${app.url}/reset-password?token=`)) ?? '';
    expect(resetLink).not.toBe('');
    const browser = new Browser();
    const form = await browser.get(resetLink);
    expect(form.status).toBe(200);
    await link(mo, 'corp');

    const shown = await browser.get(resetLink);
    expect(shown.status).toBe(403);
    expect(shown.body).toContain('Corp Directory');
    const posted = await browser.postForm(`${app.url}/reset-password`, { ...formFields(form.body), password: 'a brand new passphrase for mo', confirm: 'a brand new passphrase for mo' });
    expect(posted.status).toBe(403);
    expect(await app.store.users.findById(mo.id)).toEqual(mo);
    // The link was not used up either.
    expect(await resetTokens(mo.id)).toBe(1);
    expect((await readOutbox(app.config.dataDir)).filter((sent) => sent.to === mo.email)).toHaveLength(1);
  });

  it('refuses a new password on the account page, writing nothing', async () => {
    const browser = new Browser();
    const login = await browser.get(`${app.url}/login?return_to=%2Faccount`);
    // A directory person signs in with the directory, which does not answer here: sign in as a local person,
    // then link the account while signed in (an administrator could have linked it meanwhile).
    const nia = await addUser(app, 'nia@example.org');
    const signedIn = await browser.postForm(`${app.url}/login`, { ...formFields(login.body), email: nia.email, password: PASSWORD });
    expect(signedIn.status, signedIn.body).toBe(303);
    await link(nia, 'corp');
    const account = await browser.get(`${app.url}/account`);
    expect(account.status).toBe(200);
    // Every form of the account page carries the same CSRF token.
    const fields = formFields(account.body);
    const answer = await browser.postForm(`${app.url}/account/password`, {
      csrf: fields.csrf ?? '',
      current_password: PASSWORD,
      new_password: 'another passphrase for nia',
      confirm_password: 'another passphrase for nia',
    });
    // Refused before the form's handler (src/account/linked-identities.ts passwordHeldHere), naming the directory.
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
    expect(answer.body).toMatch(/Corp Directory: change it there\./);
    expect(await app.store.users.findById(nia.id)).toEqual(nia);
  });
});
