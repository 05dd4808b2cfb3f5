// Mailed links do only what they were sent for (issue 19, F1). A link records its purpose and the address it went
// to: a verification link verifies the account's address only while the account still has it, a change link moves
// the account to its address, a reset link works only while its address is the account's. Any new email or
// password, whoever sets it, ends every link still in a mailbox. The first test is the attack that was reproduced:
// a verification link mailed to a mistyped address, opened after the administrator corrected it, moved the account
// back to the typo mailbox, verified, and a password reset then handed the account to that mailbox's holder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailPasswordReset, mailVerification } from '../../src/auth/account-links.js';
import { confirmEmail, requestEmailChange } from '../../src/auth/email-verification.js';
import { hashSecret, randomSecret } from '../../src/auth/secrets.js';
import { setPassword } from '../../src/manage/users.js';
import type { AccountTokenPurpose, UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields } from '../helpers/browser.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { personIn, signInToAccount } from './account-helpers.js';

const HOUR = 3_600_000;
const NEW_PASSWORD = 'a brand new passphrase, long enough';

describe('mailed links do only what they were sent for (issue 19, F1)', () => {
  let app: RunningApp;
  let admin: SignedInAdmin;

  beforeAll(async () => {
    app = await startApp();
    admin = await signedInAdmin(app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  const mail = () => ({ store: app.store, clock: app.clock, config: app.config, mailer: app.mailer, logger: app.logger });
  const manage = () => ({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test' });
  const user = async (id: string) => (await app.store.users.findById(id)) as UserRecord;

  /** The link of the newest mail to `to` whose subject matches, pointing at `path`. */
  async function linkIn(to: string, subject: RegExp, path: '/verify-email' | '/reset-password'): Promise<string> {
    const received = await waitForMail(app.config.dataDir, to, { subject });
    const link = received.links.find((url) => url.startsWith(`${app.url}${path}?token=`));
    expect(link, received.text).toBeDefined();
    return link ?? '';
  }
  const verificationLink = (to: string) => linkIn(to, /^Verify your email address/, '/verify-email');
  const changeLink = (to: string) => linkIn(to, /^Confirm your new email address/, '/verify-email');
  const resetLink = (to: string) => linkIn(to, /^Reset your password/, '/reset-password');

  /** Opens a link in a fresh browser, as whoever reads the mailbox would; returns the browser and the page's form fields. */
  async function openLink(link: string): Promise<{ browser: Browser; fields: Record<string, string> }> {
    const browser = new Browser();
    const page = await browser.get(link);
    expect(page.status, page.body).toBe(200);
    return { browser, fields: formFields(page.body) };
  }

  /** An administrator's edit of the address, through the user's page as a person would make it. */
  async function adminChangesEmail(target: UserRecord, email: string): Promise<void> {
    const answer = await admin.post(`/admin/users/${target.id}`, { email, name: target.name ?? '' });
    expect(answer.status, answer.body).toBe(303);
  }

  /** A token stored as an older version left it: `purpose` for `email`, whatever the account's address is now. */
  async function leftOverLink(owner: UserRecord, purpose: AccountTokenPurpose, email: string): Promise<{ token: string; tokenHash: string }> {
    const token = randomSecret();
    const now = app.clock.now();
    await app.store.accountTokens.create({ tokenHash: hashSecret(token), purpose, userId: owner.id, email, createdAt: now, expiresAt: now + HOUR });
    return { token, tokenHash: hashSecret(token) };
  }

  it('refuses a verification link mailed to a mistyped address once the administrator corrected it, and changes nothing (the typo-mailbox takeover)', async () => {
    const created = await admin.post('/admin/users', { email: 'bob@typo.example', name: 'Bob', password: PASSWORD });
    expect(created.status, created.body).toBe(303);
    const bob = (await app.store.users.findByEmail('bob@typo.example')) as UserRecord;
    const link = await verificationLink('bob@typo.example');
    // The typo mailbox's holder opened the page before the correction and keeps its form.
    const typo = await openLink(link);

    await adminChangesEmail(bob, 'bob@real.example');

    expect((await typo.browser.get(link)).status).toBe(400);
    const refused = await typo.browser.postForm(`${app.url}/verify-email`, typo.fields);
    expect(refused.status).toBe(400);
    expect(await user(bob.id)).toMatchObject({ email: 'bob@real.example', emailVerified: false });
    expect(await app.store.users.findByEmail('bob@typo.example')).toBeNull();
    expect(await app.store.audit.count({ subject: bob.id, type: 'email.changed' })).toBe(0);
  });

  it("refuses a verification link whose address is no longer the account's even if nothing revoked it, and changes nothing", async () => {
    const dave = await addUser(app, 'dave@real.example', { name: 'Dave' });
    // A link of an older version, mailed to verify an address the account had then.
    const { token, tokenHash } = await leftOverLink(dave, 'email_verification', 'dave@typo.example');
    expect((await new Browser().get(`${app.url}/verify-email?token=${token}`)).status).toBe(400);
    // And used all the same (as if the page had been left open): it verifies nothing and moves nothing.
    const record = await app.store.accountTokens.consume(tokenHash, 'email_verification', app.clock.now());
    expect(record).not.toBeNull();
    expect((await confirmEmail(mail(), record!, null)).outcome).toBe('unavailable');
    expect(await user(dave.id)).toMatchObject({ email: 'dave@real.example', emailVerified: false });
  });

  it('refuses a reset link mailed to the old address once the administrator changed it, and the password stays', async () => {
    const carol = await addUser(app, 'carol@old.example', { name: 'Carol' });
    await mailPasswordReset(mail(), carol);
    const link = await resetLink('carol@old.example');
    const old = await openLink(link);

    await adminChangesEmail(carol, 'carol@new.example');

    expect((await old.browser.get(link)).status).toBe(400);
    const refused = await old.browser.postForm(`${app.url}/reset-password`, { ...old.fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(refused.status).toBe(400);
    expect((await user(carol.id)).passwordHash).toBe(carol.passwordHash);
    expect(await app.store.audit.count({ subject: carol.id, type: 'password_reset.completed' })).toBe(0);
  });

  it("refuses a reset link whose address is not the account's even if nothing revoked it", async () => {
    const erin = await addUser(app, 'erin@new.example', { name: 'Erin' });
    const { token } = await leftOverLink(erin, 'password_reset', 'erin@old.example');
    expect((await new Browser().get(`${app.url}/reset-password?token=${token}`)).status).toBe(400);
    expect((await user(erin.id)).passwordHash).toBe(erin.passwordHash);
  });

  it("records what each link is for: a change link moves the account to its address, a verification link verifies the account's own", async () => {
    const heidi = await addUser(app, 'heidi@example.com', { name: 'Heidi' });
    await mailVerification(mail(), heidi, heidi.email, false);
    const verify = await verificationLink('heidi@example.com');
    await requestEmailChange(mail(), heidi, 'heidi@new.example', null);
    const change = await changeLink('heidi@new.example');
    const purpose = async (link: string) => {
      const tokenHash = hashSecret(new URL(link).searchParams.get('token') ?? '');
      for (const candidate of ['email_verification', 'email_change'] as const) {
        if (await app.store.accountTokens.findLive(tokenHash, candidate, app.clock.now())) return candidate;
      }
      return null;
    };
    expect(await purpose(verify)).toBe('email_verification');
    expect(await purpose(change)).toBe('email_change');

    // Either order works while nothing else changed: verifying the current address first leaves the change link.
    const verified = await openLink(verify);
    expect((await verified.browser.postForm(`${app.url}/verify-email`, verified.fields)).status).toBe(200);
    expect(await user(heidi.id)).toMatchObject({ email: 'heidi@example.com', emailVerified: true });
    const moved = await openLink(change);
    const done = await moved.browser.postForm(`${app.url}/verify-email`, moved.fields);
    expect(done.status, done.body).toBe(200);
    expect(await user(heidi.id)).toMatchObject({ email: 'heidi@new.example', emailVerified: true });
  });

  it('ends a pending change link when the person changes the password meanwhile', async () => {
    const frank = await addUser(app, 'frank@example.com', { name: 'Frank' });
    const browser = new Browser();
    expect((await signInToAccount(app, frank.email, browser)).status).toBe(303);
    const person = personIn(app, frank, browser);
    await requestEmailChange(mail(), frank, 'frank@new.example', null);
    const link = await changeLink('frank@new.example');
    const opened = await openLink(link);

    const changed = await person.post('/account/password', { current_password: PASSWORD, new_password: NEW_PASSWORD, confirm_password: NEW_PASSWORD });
    expect(changed.status, changed.body).toBe(303);

    expect((await new Browser().get(link)).status).toBe(400);
    expect((await opened.browser.postForm(`${app.url}/verify-email`, opened.fields)).status).toBe(400);
    expect((await user(frank.id)).email).toBe('frank@example.com');
  });

  it('ends a pending change link when an administrator changes the address meanwhile', async () => {
    const grace = await addUser(app, 'grace@example.com', { name: 'Grace' });
    await requestEmailChange(mail(), grace, 'grace@new.example', null);
    const link = await changeLink('grace@new.example');
    const opened = await openLink(link);

    await adminChangesEmail(grace, 'grace@other.example');

    expect((await opened.browser.postForm(`${app.url}/verify-email`, opened.fields)).status).toBe(400);
    expect(await user(grace.id)).toMatchObject({ email: 'grace@other.example', emailVerified: false });
  });

  it("ends every outstanding link of an account when a new password is set for it (the admin screens' and `idp user set-password`'s way)", async () => {
    const ivan = await addUser(app, 'ivan@example.com', { name: 'Ivan' });
    await mailVerification(mail(), ivan, ivan.email, false);
    const verify = await verificationLink('ivan@example.com');
    await mailPasswordReset(mail(), ivan);
    const reset = await resetLink('ivan@example.com');
    await requestEmailChange(mail(), ivan, 'ivan@new.example', null);
    const change = await changeLink('ivan@new.example');

    await setPassword(manage(), ivan.id, NEW_PASSWORD);

    for (const link of [verify, reset, change]) expect((await new Browser().get(link)).status, link).toBe(400);
    expect(await user(ivan.id)).toMatchObject({ email: 'ivan@example.com', emailVerified: false });
  });
});
