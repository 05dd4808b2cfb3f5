// Email verification (OIDC Core §5.1 `email_verified`): a new account with an unverified address gets a
// single-use link valid 24 hours; opening it changes nothing until the person confirms (mail scanners open links
// too); once confirmed, ID tokens and userinfo say `email_verified: true`. A change of address takes effect only
// when the new address is verified, and the old address hears of it.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailVerification } from '../../src/auth/account-links.js';
import { requestEmailChange } from '../../src/auth/email-verification.js';
import type { UserRecord } from '../../src/store/records.js';
import { signedInAdmin } from '../helpers/admin.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const HOUR = 3_600_000;

describe('email verification', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
    client = await addClient(app);
  });

  afterAll(async () => {
    await app.stop();
  });

  const mail = () => ({ store: app.store, clock: app.clock, config: app.config, mailer: app.mailer, logger: app.logger });

  async function verificationLink(to: string, subject = /^Verify your email address/, skip = 0): Promise<string> {
    const received = await waitForMail(app.config.dataDir, to, { subject, skip });
    const link = received.links.find((url) => url.startsWith(`${app.url}/verify-email?token=`));
    expect(link, received.text).toBeDefined();
    return link ?? '';
  }

  async function confirm(link: string): Promise<Page> {
    const browser = new Browser();
    const page = await browser.get(link);
    expect(page.status, page.body).toBe(200);
    return browser.postForm(`${app.url}/verify-email`, formFields(page.body));
  }

  async function claims(email: string): Promise<{ idToken: Record<string, unknown>; userinfo: Record<string, unknown> }> {
    const tokens = await tokensFor(app, client, new Browser(), 'openid email offline_access', email);
    const response = await fetch(`${app.url}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    return { idToken: decodeJwt(tokens.id_token), userinfo: (await response.json()) as Record<string, unknown> };
  }

  it('mails a new account created by an administrator a link that verifies its address, and the claims follow', async () => {
    const admin = await signedInAdmin(app);
    const created = await admin.post('/admin/users', { email: 'grace@example.com', name: 'Grace Hopper', password: PASSWORD });
    expect(created.status, created.body).toBe(303);
    const grace = (await app.store.users.findByEmail('grace@example.com')) as UserRecord;
    expect(grace.emailVerified).toBe(false);
    const before = await claims(grace.email);
    expect(before.idToken.email_verified).toBe(false);
    expect(before.userinfo.email_verified).toBe(false);

    const link = await verificationLink(grace.email);
    const browser = new Browser();
    const page = await browser.get(link);
    expect(page.body).toContain('grace@example.com');
    // Opening the link is not confirming it.
    expect((await app.store.users.findById(grace.id))?.emailVerified).toBe(false);
    const done = await browser.postForm(`${app.url}/verify-email`, formFields(page.body));
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Email address confirmed');
    expect((await app.store.users.findById(grace.id))?.emailVerified).toBe(true);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'email.verified' } });
    expect(event).toMatchObject({ actor: grace.id, subject: grace.id });

    const after = await claims(grace.email);
    expect(after.idToken.email_verified).toBe(true);
    expect(after.userinfo.email_verified).toBe(true);
    // Used once, the link is spent.
    expect((await new Browser().get(link)).status).toBe(400);
  });

  it('refuses a verification link after 24 hours', async () => {
    const linus = await addUser(app, 'linus@example.com');
    await mailVerification(mail(), linus, linus.email, false);
    const link = await verificationLink(linus.email);
    clock.advance(24 * HOUR);
    const late = await new Browser().get(link);
    expect(late.status).toBe(400);
    expect(late.body).toContain('expired');
    expect((await app.store.users.findById(linus.id))?.emailVerified).toBe(false);
  });

  it('moves an account to a new address only when the new address confirms, and tells the old one', async () => {
    const alan = await addUser(app, 'alan@example.com');
    expect(await requestEmailChange(mail(), alan, 'alan.turing@example.org', '127.0.0.1')).toEqual({ outcome: 'sent', email: 'alan.turing@example.org' });
    expect((await app.store.users.findById(alan.id))?.email).toBe('alan@example.com');
    const link = await verificationLink('alan.turing@example.org', /^Confirm your new email address/);
    const done = await confirm(link);
    expect(done.status, done.body).toBe(200);
    const moved = await app.store.users.findById(alan.id);
    expect(moved).toMatchObject({ email: 'alan.turing@example.org', emailVerified: true });
    const notice = await waitForMail(app.config.dataDir, 'alan@example.com', { subject: /was changed/ });
    expect(notice.text).toContain('alan.turing@example.org');
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'email.changed' } });
    expect(event).toMatchObject({ actor: alan.id, subject: alan.id });
    expect((await claims('alan.turing@example.org')).idToken).toMatchObject({ email: 'alan.turing@example.org', email_verified: true });
  });

  it('keeps the old address when the new one was taken by another account before the link was used', async () => {
    const ken = await addUser(app, 'ken@example.com');
    await requestEmailChange(mail(), ken, 'unix@example.com', null);
    const link = await verificationLink('unix@example.com', /^Confirm your new email address/);
    await addUser(app, 'unix@example.com');
    const refused = await confirm(link);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('now belongs to another account');
    expect((await app.store.users.findById(ken.id))?.email).toBe('ken@example.com');
  });

  it('sends nothing for an address that already has an account, with the same answer', async () => {
    const dennis = await addUser(app, 'dennis@example.com');
    await addUser(app, 'taken@example.com');
    expect(await requestEmailChange(mail(), dennis, 'taken@example.com', null)).toEqual({ outcome: 'sent', email: 'taken@example.com' });
    // The mail goes out after the answer: a later request's mail arriving proves this one would have come first.
    await requestEmailChange(mail(), dennis, 'dennis.ritchie@example.org', null);
    await verificationLink('dennis.ritchie@example.org', /^Confirm your new email address/);
    expect((await readOutbox(app.config.dataDir)).filter((m) => m.to.includes('taken@example.com'))).toEqual([]);
  });

  it('lets only the newest verification link of an account work', async () => {
    const barbara = await addUser(app, 'barbara@example.com');
    await mailVerification(mail(), barbara, barbara.email, false);
    const first = await verificationLink(barbara.email);
    await mailVerification(mail(), barbara, barbara.email, false);
    const second = await verificationLink(barbara.email, undefined, 1);
    expect((await new Browser().get(first)).status).toBe(400);
    expect((await confirm(second)).status).toBe(200);
  });

  it("refuses a confirmation without this browser's CSRF token", async () => {
    const margaret = await addUser(app, 'margaret@example.com');
    await mailVerification(mail(), margaret, margaret.email, false);
    const link = await verificationLink(margaret.email);
    const fields = formFields((await new Browser().get(link)).body);
    const forged = await new Browser().postForm(`${app.url}/verify-email`, fields);
    expect(forged.status).toBe(403);
    expect((await app.store.users.findById(margaret.id))?.emailVerified).toBe(false);
  });
});
