// The account page's profile: the name, the email address with its verification badge, a new verification
// link, and a change of address that needs the current password (throttled like a sign-in, OWASP ASVS V2.2.1)
// and takes effect only when the link mailed to the new address is opened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2Verifications } from '../../src/auth/password-hash.js';
import { Browser, formAction, formFields } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { PASSWORD } from '../helpers/oidc.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { lastEventId, newPerson, section, signedInPerson, signInToAccount } from './account-helpers.js';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

describe('account page: profile', () => {
  let app: RunningApp;
  const clock = new FakeClock();

  beforeAll(async () => {
    app = await startApp({ clock });
  });
  afterAll(() => app?.stop());

  async function mailsTo(address: string) {
    return (await readOutbox(app.config.dataDir)).filter((mail) => mail.to === address);
  }

  it('shows the name, the address and whether it is verified', async () => {
    const user = await newPerson(app, 'badge', 'Grace Hopper');
    const person = await signedInPerson(app, user);
    const profile = section(await person.page(), 'profile-heading');
    expect(profile).toContain('<dd>Grace Hopper</dd>');
    expect(profile).toContain(`${user.email} <span class="badge badge-warn">not verified</span>`);
    expect(profile).toContain('Send verification link again');

    await app.store.users.update(user.id, { emailVerified: true }, clock.now());
    const verified = section(await person.page(), 'profile-heading');
    expect(verified).toContain(`${user.email} <span class="badge badge-ok">verified</span>`);
    expect(verified).not.toContain('Send verification link again');
  });

  it('changes the name, records it in the audit log, and shows a hostile name as inert text', async () => {
    const user = await newPerson(app, 'rename');
    const person = await signedInPerson(app, user);
    const before = await lastEventId(app);

    const answer = await person.post('/account/name', { name: `  Ada ${XSS}  ` });
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/account?done=name-changed`);
    expect((await app.store.users.findById(user.id))?.name).toBe(`Ada ${XSS}`);
    const [event] = await app.store.audit.list({ limit: 1 });
    expect(event).toMatchObject({ type: 'account.name_changed', actor: user.id, subject: user.id, ip: '127.0.0.1' });
    expect(event?.id).toBeGreaterThan(before);

    const page = await person.page('?done=name-changed');
    expect(page.body).toContain('Your name was changed.');
    expect(page.body).not.toContain(XSS);
    expect(page.body).toContain(`<dd>Ada ${ESCAPED}</dd>`);
    expect(page.body).toContain(`value="Ada ${ESCAPED}"`);
    expect(section(page, 'events-heading')).toContain('Name changed');
  });

  it('answers an unchanged name with "Nothing changed" and writes nothing', async () => {
    const user = await newPerson(app, 'same', 'Same Name');
    const person = await signedInPerson(app, user);
    const before = await lastEventId(app);
    const answer = await person.post('/account/name', { name: 'Same Name' });
    expect(answer.location).toBe(`${app.url}/account?done=unchanged`);
    expect(await lastEventId(app)).toBe(before);
    expect((await person.page('?done=unchanged')).body).toContain('Nothing changed.');
  });

  it('sends a bad name back with its error next to the field and the value kept (400)', async () => {
    const user = await newPerson(app, 'badname');
    const person = await signedInPerson(app, user);
    const answer = await person.post('/account/name', { name: `Ada\u0007 ${XSS}` });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatch(
      /<input id="name" name="name" type="text" value="Ada\u0007 &lt;script&gt;alert\(1\)&lt;\/script&gt;"[^>]*aria-invalid="true"[^>]*>\s*<p class="field-error" id="name-error">The name must not contain control characters.<\/p>/,
    );
    expect((await app.store.users.findById(user.id))?.name).toBe('Ada Lovelace');
  });

  it('mails a new verification link to the account’s own address', async () => {
    const user = await newPerson(app, 'resend');
    const person = await signedInPerson(app, user);
    const answer = await person.post('/account/email/verification');
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/account?done=verification-sent`);
    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /Verify your email address/ });
    expect(mail.links.find((link) => link.startsWith(`${app.url}/verify-email?token=`))).toBeTruthy();
    expect((await person.page('?done=verification-sent')).body).toContain('We sent a new verification link to your address.');
  });

  it('throttles requests for a new verification link: 5 in 15 minutes, then 429 with Retry-After and no mail', async () => {
    const user = await newPerson(app, 'flood');
    const person = await signedInPerson(app, user);
    for (let i = 0; i < 5; i++) expect((await person.post('/account/email/verification')).status).toBe(303);
    const refused = await person.post('/account/email/verification');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.body).toContain('Too many links asked for. Try again in 1 minute.');
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'email.verification_throttled' } });
    expect(event).toMatchObject({ actor: user.id, subject: user.id, outcome: 'failure' });
    await waitForMail(app.config.dataDir, user.email, { subject: /Verify your email address/, skip: 4 });
    clock.advance(60_000);
    expect((await person.post('/account/email/verification')).status).toBe(303);
    await waitForMail(app.config.dataDir, user.email, { subject: /Verify your email address/, skip: 5 });
    expect((await mailsTo(user.email)).filter((mail) => /Verify/.test(mail.subject))).toHaveLength(6);
  });

  describe('changing the email address', () => {
    it('mails a link to the new address and changes nothing until it is opened and confirmed', async () => {
      const user = await newPerson(app, 'mover');
      const person = await signedInPerson(app, user);
      const target = `moved.${user.id}@example.org`;

      const answer = await person.post('/account/email', { email: target, current_password: PASSWORD });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.body).toContain(`We sent a link to ${target}. Your address changes when you open it.`);
      expect(answer.body).not.toContain(PASSWORD);
      const mail = await waitForMail(app.config.dataDir, target, { subject: /Confirm your new email address/ });
      const link = mail.links.find((candidate) => candidate.startsWith(`${app.url}/verify-email?token=`)) ?? '';
      expect(link).not.toBe('');
      expect(await mailsTo(user.email)).toEqual([]);
      expect((await app.store.users.findById(user.id))?.email).toBe(user.email);
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: user.id } });
      expect(event).toMatchObject({ type: 'email.change_requested', actor: user.id, ip: '127.0.0.1', details: { sent: true } });

      // The link opens a confirmation page (mail scanners fetch links too); its form makes the change.
      const confirm = await person.browser.get(link);
      expect(confirm.status).toBe(200);
      expect((await app.store.users.findById(user.id))?.email).toBe(user.email);
      const done = await person.browser.postForm(formAction(confirm.body, link), formFields(confirm.body));
      expect(done.status, done.body).toBe(200);
      expect(await app.store.users.findById(user.id)).toMatchObject({ email: target, emailVerified: true });
      const profile = section(await person.page(), 'profile-heading');
      expect(profile).toContain(`${target} <span class="badge badge-ok">verified</span>`);
      expect(section(await person.page(), 'events-heading')).toContain('Email address changed');
    });

    it('gives an address of another account the same answer, and mails nothing', async () => {
      const user = await newPerson(app, 'taker');
      const holder = await newPerson(app, 'holder');
      const person = await signedInPerson(app, user);

      const answer = await person.post('/account/email', { email: holder.email, current_password: PASSWORD });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(`We sent a link to ${holder.email}. Your address changes when you open it.`);
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: user.id } });
      expect(event).toMatchObject({ type: 'email.change_requested', details: { sent: false } });
      // A mail to the requester's own new address proves the outbox works and no mail to the holder came first.
      await person.post('/account/email', { email: `proof.${user.id}@example.org`, current_password: PASSWORD });
      await waitForMail(app.config.dataDir, `proof.${user.id}@example.org`);
      expect(await mailsTo(holder.email)).toEqual([]);
      expect((await app.store.users.findById(user.id))?.email).toBe(user.email);
    });

    it('sends an invalid address back with its error and the value kept, checking no password', async () => {
      const user = await newPerson(app, 'invalid');
      const person = await signedInPerson(app, user);
      const argon = argon2Verifications();
      const answer = await person.post('/account/email', { email: `not-an-address ${XSS}`, current_password: 'wrong password' });
      expect(answer.status).toBe(400);
      expect(argon2Verifications()).toBe(argon);
      expect(answer.body).toContain(`value="not-an-address ${ESCAPED}"`);
      expect(answer.body).toMatch(/<p class="field-error" id="new-email-error">.*is not a valid email address.<\/p>/);
      expect(answer.body).not.toContain('wrong password');
    });

    it('refuses a wrong current password (400, the new address kept, the password not echoed), audited', async () => {
      const user = await newPerson(app, 'wrongpw');
      const person = await signedInPerson(app, user);
      const target = `wanted.${user.id}@example.org`;
      const answer = await person.post('/account/email', { email: target, current_password: 'not my password at all' });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain(`value="${target}"`);
      expect(answer.body).toContain('<p class="field-error" id="email-current-password-error">That is not your current password.</p>');
      expect(answer.body).not.toContain('not my password at all');
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: user.id } });
      expect(event).toMatchObject({ type: 'account.password_check_failed', outcome: 'failure', actor: user.id });
      expect((await app.store.users.findById(user.id))?.email).toBe(user.email);
      expect(await mailsTo(target)).toEqual([]);
    });

    it('throttles wrong passwords like sign-ins: the sixth is refused with 429 and Retry-After without touching argon2, on the login page too', async () => {
      const user = await newPerson(app, 'guesser');
      const person = await signedInPerson(app, user);
      const target = `guess.${user.id}@example.org`;
      for (let attempt = 1; attempt <= 5; attempt++) {
        const answer = await person.post('/account/email', { email: target, current_password: `guess number ${attempt}` });
        expect(answer.status, `attempt ${attempt}`).toBe(400);
      }
      const argon = argon2Verifications();
      const blocked = await person.post('/account/email', { email: target, current_password: PASSWORD });
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('60');
      expect(blocked.body).toContain('Too many wrong passwords for this account. Try again in 1 minute.');
      expect(argon2Verifications()).toBe(argon);
      expect(await mailsTo(target)).toEqual([]);
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: user.id } });
      expect(event).toMatchObject({ type: 'account.password_check_throttled', outcome: 'failure', details: { by: 'account' } });
      expect(section(await person.page(), 'events-heading')).toContain('Password attempts on this page blocked after too many failures');

      // The same counter guards the login page: a stolen session is no way around the sign-in throttle.
      const login = await signInToAccount(app, user.email, new Browser());
      expect(login.status).toBe(429);
      expect(argon2Verifications()).toBe(argon);

      // Once the block is over, the right password goes through and clears the count.
      clock.advance(61_000);
      const accepted = await person.post('/account/email', { email: target, current_password: PASSWORD });
      expect(accepted.status, accepted.body).toBe(200);
      await waitForMail(app.config.dataDir, target);
      expect((await person.post('/account/email', { email: target, current_password: 'one more wrong guess' })).status).toBe(400);
    });

    it('answers the account’s own address with "Nothing changed"', async () => {
      const user = await newPerson(app, 'own');
      const person = await signedInPerson(app, user);
      const answer = await person.post('/account/email', { email: user.email, current_password: PASSWORD });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/account?done=unchanged`);
    });

    it('refuses the account’s own address spelled differently, once the password is right', async () => {
      const user = await newPerson(app, 'case');
      const person = await signedInPerson(app, user);
      const answer = await person.post('/account/email', { email: user.email.toUpperCase(), current_password: PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('<p class="field-error" id="new-email-error">This is already your address.</p>');
      expect(answer.body).toContain(`value="${user.email.toUpperCase()}"`);
    });
  });
});
