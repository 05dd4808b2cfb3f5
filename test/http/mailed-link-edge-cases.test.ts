// Mailed links and the notices around them, off the main paths (src/auth/account-links.ts, email-verification.ts):
// what each mail says (lifetime, time, address of the change), a request to move to the address the account already
// has, a used link applied to an account that was disabled, deleted or changed meanwhile (issue 19, F1: nothing
// changes, and the refusal is audited), and mail that cannot be sent (logged, the change stands).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findLinkToken,
  inBackground,
  mailEmailChanged,
  mailPasswordChanged,
  mailPasswordReset,
  mailSecondFactorChanged,
  mailVerification,
  tellSecondFactorChanged,
} from '../../src/auth/account-links.js';
import { confirmEmail, requestEmailChange } from '../../src/auth/email-verification.js';
import { hashSecret, randomSecret } from '../../src/auth/secrets.js';
import { ValidationError } from '../../src/errors.js';
import { openOutbox } from '../../src/mail/outbox.js';
import type { AccountTokenPurpose, AccountTokenRecord, UserRecord } from '../../src/store/records.js';
import { Browser, formFields } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser } from '../helpers/oidc.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { localeFor } from '../../src/i18n/page-locale.js';

/** A time as the mails show it to a person with no saved language or time zone (issue 25: Intl, in English, UTC). */
const shownTime = (at: number): string => localeFor('en', null).dates.dateTime(at);

const HOUR = 3_600_000;

describe('mailed links and notices: edge cases', () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 6, 14, 3, 9, 250));
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ clock });
  });

  afterAll(async () => {
    await app?.stop();
  });

  const mail = () => ({ store: app.store, clock: app.clock, config: app.config, mailer: app.mailer, logger: app.logger });
  const user = async (id: string) => (await app.store.users.findById(id)) as UserRecord;
  const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
  /** A mailer that fails as a real one does: its outbox path is a file, so the message cannot be written. */
  const brokenMail = () => {
    const file = path.join(app.dir, `not-a-directory-${randomSecret()}`);
    writeFileSync(file, '');
    return { ...mail(), mailer: openOutbox({ dir: file, from: app.config.mailFrom, logger: app.logger }) };
  };
  const logged = (msg: string) => app.logs.filter((line) => line.msg === msg);

  /** Stores a live token as a link of an earlier version might have left it. */
  async function storedLink(owner: UserRecord, purpose: AccountTokenPurpose, email: string): Promise<{ token: string; tokenHash: string }> {
    const token = randomSecret();
    const now = app.clock.now();
    await app.store.accountTokens.create({ tokenHash: hashSecret(token), purpose, userId: owner.id, email, createdAt: now, expiresAt: now + HOUR });
    return { token, tokenHash: hashSecret(token) };
  }

  /** Uses a stored link up, as the confirmation page does, and returns its record. */
  async function used(owner: UserRecord, purpose: AccountTokenPurpose, email: string): Promise<AccountTokenRecord> {
    const { tokenHash } = await storedLink(owner, purpose, email);
    const record = await app.store.accountTokens.consume(tokenHash, purpose, app.clock.now());
    expect(record).not.toBeNull();
    return record!;
  }

  describe('what the mails say', () => {
    it("mails a reset link to the account's address that works for 30 minutes, naming the page and carrying a 256-bit token (OWASP Forgot Password)", async () => {
      const ada = await addUser(app, 'ada.lifetime@example.com');
      await mailPasswordReset(mail(), ada);
      const received = await waitForMail(app.config.dataDir, ada.email, { subject: /^Reset your password at 127\.0\.0\.1:/ });
      expect(received.text).toContain('within 30 minutes');
      const link = received.links.find((url) => url.startsWith(`${app.url}/reset-password?token=`)) ?? '';
      expect(tokenOf(link)).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await findLinkToken(mail(), 'password_reset', tokenOf(link))).toMatchObject({ userId: ada.id, email: ada.email, expiresAt: clock.now() + 30 * 60_000 });
    });

    it('mails a verification link that works for 24 hours, and a change link to the new address only', async () => {
      const bea = await addUser(app, 'bea.lifetime@example.com');
      await mailVerification(mail(), bea, bea.email, false);
      const verification = await waitForMail(app.config.dataDir, bea.email, { subject: /^Verify your email address/ });
      expect(verification.text).toContain('within 24 hours');
      await mailVerification(mail(), bea, 'bea@new.example', true);
      const change = await waitForMail(app.config.dataDir, 'bea@new.example', { subject: /^Confirm your new email address/ });
      expect(change.text).toContain('within 24 hours');
      const record = await findLinkToken(mail(), 'email_change', tokenOf(change.links.find((url) => url.includes('/verify-email?token=')) ?? ''));
      expect(record).toMatchObject({ purpose: 'email_change', userId: bea.id, email: 'bea@new.example', expiresAt: clock.now() + 24 * HOUR });
    });

    it('tells of a password change with its UTC time, where it came from, and the page to reset it', async () => {
      const cy = await addUser(app, 'cy.notice@example.com');
      await mailPasswordChanged(mail(), cy, '198.51.100.7');
      const notice = await waitForMail(app.config.dataDir, cy.email, { subject: /^Your password at .* was changed/ });
      expect(notice.text).toContain(`on ${shownTime(clock.now())} from the address 198.51.100.7.`);
      // Issue 25: in the recipient's language (none saved: DEFAULT_LOCALE) and time zone (none saved: UTC, named).
      expect(shownTime(clock.now())).toBe('Dec 6, 2026, 2:03 PM UTC');
      expect(notice.links).toContain(`${app.url}/forgot-password`);
    });

    it('tells the old address when the account moved, with the new address and the time', async () => {
      const dee = await addUser(app, 'dee.new@example.com');
      await mailEmailChanged(mail(), dee, 'dee.old@example.com');
      const notice = await waitForMail(app.config.dataDir, 'dee.old@example.com', { subject: /^The email address of your account at .* was changed/ });
      expect(notice.text).toContain(`on ${shownTime(clock.now())} to:`);
      expect(notice.text).toContain('dee.new@example.com');
    });

    it('tells of a second factor added or removed, now or after the answer, with the change, its time, where it came from and the account page', async () => {
      const eve = await addUser(app, 'eve.factor@example.com');
      await mailSecondFactorChanged(mail(), eve, 'totp-on', '198.51.100.8');
      const now = await waitForMail(app.config.dataDir, eve.email, { subject: /^How you sign in at .* changed/ });
      expect(now.text).toContain('Two-step verification was turned on: signing in now asks for a code from an authenticator app.');
      expect(now.text).toContain(`on ${shownTime(clock.now())} from the address 198.51.100.8.`);
      expect(now.links).toContain(`${app.url}/account`);

      tellSecondFactorChanged(mail(), eve, 'passkey-removed', null);
      const later = await waitForMail(app.config.dataDir, eve.email, { subject: /^How you sign in at .* changed/, skip: 1 });
      expect(later.text).toContain('A passkey was removed from your account.');
      expect(later.text).not.toContain('from the address');
    });
  });

  describe('mail work after the answer', () => {
    it('runs the work after the caller returns, and logs a failure under what it was', async () => {
      const order: string[] = [];
      inBackground(app.logger, 'test work', async () => {
        order.push('work');
        throw new Error('the transport is down');
      });
      order.push('caller');
      expect(order).toEqual(['caller']);
      // The failure is logged once the work's promise settles: a few turns of the event loop, no timer.
      for (let turn = 0; turn < 100 && logged('test work failed').length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(order).toEqual(['caller', 'work']);
      const [line] = logged('test work failed');
      expect(line).toMatchObject({ level: 50, err: { message: 'the transport is down' } });
    });

    /** The error log lines of `msg`, once the mail work after the answer has written one (polled, at most 5 s). */
    async function failure(msg: string) {
      for (let round = 0; round < 250 && logged(msg).length === 0; round++) await new Promise((resolve) => setTimeout(resolve, 20));
      return logged(msg);
    }

    it('logs a second-factor notice that could not be sent as that, for the operator', async () => {
      const una = await addUser(app, 'una.factor@example.com');
      tellSecondFactorChanged(brokenMail(), una, 'totp-off', null);
      expect(await failure('second-factor mail failed')).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ syscall: 'mkdir' }) })]);
    });

    it('logs a change link that could not be sent as a verification mail, for the operator, and the answer is the same', async () => {
      const vic = await addUser(app, 'vic@example.com');
      expect(await requestEmailChange(brokenMail(), vic, 'vic@new.example', null)).toEqual({ outcome: 'sent', email: 'vic@new.example' });
      expect(await failure('verification mail failed')).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ syscall: 'mkdir' }) })]);
      expect((await user(vic.id)).email).toBe('vic@example.com');
    });
  });

  describe('asking to move to another address', () => {
    it('answers "unchanged" for the address the account already has, and writes and sends nothing', async () => {
      const fay = await addUser(app, 'fay@example.com');
      expect(await requestEmailChange(mail(), fay, ' fay@example.com ', null)).toEqual({ outcome: 'unchanged' });
      expect(await app.store.audit.count({ subject: fay.id, type: 'email.' })).toBe(0);
      // A later mail arriving proves that one for this request would have come first.
      await mailVerification(mail(), fay, fay.email, false);
      await waitForMail(app.config.dataDir, fay.email, { subject: /^Verify your email address/ });
      expect((await readOutbox(app.config.dataDir)).filter((received) => received.to === fay.email)).toHaveLength(1);
    });

    it('refuses the same address in other letters as a field error, and writes nothing', async () => {
      const gus = await addUser(app, 'gus@example.com');
      const error = await requestEmailChange(mail(), gus, 'Gus@Example.com', null).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ field: 'email', message: expect.stringContaining('already your address') });
      expect(await app.store.audit.count({ subject: gus.id, type: 'email.' })).toBe(0);
      expect((await user(gus.id)).email).toBe('gus@example.com');
    });

    it("audits each request as the person's own, from their address, saying whether a link was sent (never to whom)", async () => {
      const hal = await addUser(app, 'hal@example.com');
      await addUser(app, 'hal.taken@example.com');
      await requestEmailChange(mail(), hal, 'hal.taken@example.com', '198.51.100.9');
      await requestEmailChange(mail(), hal, 'hal.free@example.com', '198.51.100.10');
      const events = await app.store.audit.list({ limit: 2, filter: { subject: hal.id, type: 'email.change_requested' } });
      expect(events.map(({ actor, ip, outcome, details, at }) => ({ actor, ip, outcome, details, at }))).toEqual([
        { actor: hal.id, ip: '198.51.100.10', outcome: 'success', details: { sent: true }, at: clock.now() },
        { actor: hal.id, ip: '198.51.100.9', outcome: 'success', details: { sent: false }, at: clock.now() },
      ]);
      await waitForMail(app.config.dataDir, 'hal.free@example.com', { subject: /^Confirm your new email address/ });
    });
  });

  describe('a used link applied to the account as it is now', () => {
    it('changes nothing on an account disabled after the link was used', async () => {
      const ian = await addUser(app, 'ian@example.com');
      const record = await used(ian, 'email_verification', ian.email);
      await app.store.users.update(ian.id, { disabled: true }, clock.now());
      expect(await confirmEmail(mail(), record, null)).toEqual({ outcome: 'unavailable', reason: 'This account is no longer active.', text: { key: 'verifyEmail.inactive' } });
      expect((await user(ian.id)).emailVerified).toBe(false);
      expect(await app.store.audit.count({ subject: ian.id, type: 'email.' })).toBe(0);
    });

    it('changes nothing for an account deleted after the link was used', async () => {
      const jo = await addUser(app, 'jo@example.com');
      const record = await used(jo, 'email_change', 'jo@new.example');
      expect(await app.store.users.delete(jo.id)).toBe(true);
      expect((await confirmEmail(mail(), record, null)).outcome).toBe('unavailable');
      expect(await app.store.users.findByEmail('jo@new.example')).toBeNull();
    });

    it('verifies nothing with a link of another purpose (a used reset link)', async () => {
      const kim = await addUser(app, 'kim@example.com');
      const record = await used(kim, 'password_reset', kim.email);
      expect(await confirmEmail(mail(), record, null)).toEqual({ outcome: 'unavailable', reason: 'This link is not an email confirmation.', text: { key: 'verifyEmail.notConfirmation' } });
      expect((await user(kim.id)).emailVerified).toBe(false);
      expect(await app.store.audit.count({ subject: kim.id, type: 'email.' })).toBe(0);
    });

    it('audits a verification link whose address the account no longer has as a refused confirmation, and changes nothing', async () => {
      const lou = await addUser(app, 'lou@real.example');
      const record = await used(lou, 'email_verification', 'lou@typo.example');
      const result = await confirmEmail(mail(), record, '198.51.100.11');
      expect(result).toMatchObject({ outcome: 'unavailable', reason: expect.stringContaining('no longer has') });
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: lou.id, type: 'email.' } });
      expect(event).toMatchObject({ type: 'email.confirmation_refused', actor: lou.id, ip: '198.51.100.11', outcome: 'failure', details: { reason: 'address_changed' }, at: clock.now() });
      expect(await user(lou.id)).toMatchObject({ email: 'lou@real.example', emailVerified: false });
    });

    it("verifies the account's address with a change link to the address it already has, without moving it or telling anyone of a move", async () => {
      const max = await addUser(app, 'max@example.com');
      const record = await used(max, 'email_change', 'MAX@example.com');
      const result = await confirmEmail(mail(), record, null);
      expect(result).toMatchObject({ outcome: 'verified', user: { email: 'max@example.com', emailVerified: true } });
      expect(await user(max.id)).toMatchObject({ email: 'max@example.com', emailVerified: true });
      expect(await app.store.audit.count({ subject: max.id, type: 'email.verified' })).toBe(1);
      expect(await app.store.audit.count({ subject: max.id, type: 'email.changed' })).toBe(0);
    });

    it('confirms an address that is already verified without writing to the account again', async () => {
      const ned = await addUser(app, 'ned@example.com');
      await app.store.users.update(ned.id, { emailVerified: true }, clock.now());
      const before = await user(ned.id);
      clock.advance(1000);
      const result = await confirmEmail(mail(), await used(ned, 'email_verification', ned.email), '198.51.100.12');
      expect(result).toEqual({ outcome: 'verified', user: before });
      expect(await user(ned.id)).toEqual(before);
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: ned.id, type: 'email.' } });
      expect(event).toMatchObject({ type: 'email.verified', actor: ned.id, ip: '198.51.100.12', outcome: 'success', at: clock.now() });
    });

    it('refuses, and audits, a verification whose account changed address between the read and the write', async () => {
      const oz = await addUser(app, 'oz@example.com');
      const record = await used(oz, 'email_verification', oz.email);
      await changedMeanwhile(oz, 'oz@elsewhere.example', async () => {
        expect((await confirmEmail(mail(), record, null)).outcome).toBe('unavailable');
      });
      expect(await user(oz.id)).toMatchObject({ email: 'oz@elsewhere.example', emailVerified: false });
      expect(await app.store.audit.count({ subject: oz.id, type: 'email.verified' })).toBe(0);
      expect(await app.store.audit.count({ subject: oz.id, type: 'email.confirmation_refused' })).toBe(1);
    });

    it('refuses, and audits, a change whose account changed address between the read and the write', async () => {
      const pia = await addUser(app, 'pia@example.com');
      const record = await used(pia, 'email_change', 'pia@new.example');
      await changedMeanwhile(pia, 'pia@elsewhere.example', async () => {
        expect((await confirmEmail(mail(), record, null)).outcome).toBe('unavailable');
      });
      expect(await user(pia.id)).toMatchObject({ email: 'pia@elsewhere.example', emailVerified: false });
      expect(await app.store.audit.count({ subject: pia.id, type: 'email.changed' })).toBe(0);
      expect(await app.store.audit.count({ subject: pia.id, type: 'email.confirmation_refused' })).toBe(1);
    });

    it('passes on a store failure other than a taken address instead of calling it one', async () => {
      const quin = await addUser(app, 'quin@example.com');
      const record = await used(quin, 'email_change', 'quin@new.example');
      const users = app.store.users;
      const update = users.update;
      users.update = async () => {
        throw new Error('the database is read-only');
      };
      try {
        await expect(confirmEmail(mail(), record, null)).rejects.toThrow('the database is read-only');
      } finally {
        users.update = update;
      }
    });

    it('moves the account even when the notice to the old address cannot be sent, and logs that', async () => {
      const ray = await addUser(app, 'ray@example.com');
      const record = await used(ray, 'email_change', 'ray@new.example');
      const result = await confirmEmail(brokenMail(), record, null);
      expect(result).toMatchObject({ outcome: 'changed', oldEmail: 'ray@example.com', user: { email: 'ray@new.example', emailVerified: true } });
      expect(await user(ray.id)).toMatchObject({ email: 'ray@new.example', emailVerified: true });
      expect(logged('mailing the email-change notice failed')).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ syscall: 'mkdir' }) })]);
    });

    /** Runs `act` while the account's address changes right before confirmEmail writes (as another request would). */
    async function changedMeanwhile(owner: UserRecord, email: string, act: () => Promise<void>): Promise<void> {
      const users = app.store.users;
      const update = users.update;
      users.update = async (...args) => {
        users.update = update;
        await update.call(users, owner.id, { email }, clock.now());
        return update.apply(users, args);
      };
      try {
        await act();
      } finally {
        users.update = update;
      }
    }
  });

  it('opens a change link on a page that names the new address, and confirms it there (the whole path once)', async () => {
    const sam = await addUser(app, 'sam@example.com');
    await mailVerification(mail(), sam, 'sam@new.example', true);
    const received = await waitForMail(app.config.dataDir, 'sam@new.example', { subject: /^Confirm your new email address/ });
    const browser = new Browser();
    const page = await browser.get(received.links.find((url) => url.includes('/verify-email?token=')) ?? '');
    expect(page.status).toBe(200);
    expect(page.body).toContain('sam@new.example');
    expect((await browser.postForm(`${app.url}/verify-email`, formFields(page.body))).status).toBe(200);
    expect((await user(sam.id)).email).toBe('sam@new.example');
  });
});
