// The pages mailed links open, off the main paths (src/interaction/forgot-password.ts, reset-password.ts,
// verify-email.ts): what they may be cached as (RFC 9111 §5.2.2.5: they carry single-use tokens), a query that
// repeats the token, an account disabled after its link was mailed, two submissions of one link at once (exactly one
// wins), a link ended between its use and the write, where each page sends a person next, and what a throttled or
// completed reset records.
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailPasswordReset, mailVerification } from '../../src/auth/account-links.js';
import { requestEmailChange } from '../../src/auth/email-verification.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { signInToAccount } from './account-helpers.js';
import { localeFor } from '../../src/i18n/page-locale.js';

/** A time as the mails show it to a person with no saved language or time zone (issue 25: Intl, in English, UTC). */
const shownTime = (at: number): string => localeFor('en', null).dates.dateTime(at);

const NEW_PASSWORD = 'a brand new passphrase, long enough';
const BASE = '/idp';

describe('mailed-link pages: edge cases', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let address = 0;

  beforeAll(async () => {
    // Under a base path, so that every link a page gives is seen to carry it.
    app = await startApp({ clock, basePath: BASE, env: { TRUST_PROXY: 'loopback' } });
  });

  afterAll(async () => {
    await app?.stop();
  });

  const mail = () => ({ store: app.store, clock: app.clock, config: app.config, mailer: app.mailer, logger: app.logger });
  const user = async (id: string) => (await app.store.users.findById(id)) as UserRecord;
  const nextIp = () => `192.0.2.${++address}`;
  const logged = (msg: string) => app.logs.filter((line) => line.msg === msg);

  async function linkTo(to: string, subject: RegExp, route: string, skip = 0): Promise<string> {
    const received = await waitForMail(app.config.dataDir, to, { subject, skip });
    const link = received.links.find((url) => url.startsWith(`${app.url}${route}?token=`));
    expect(link, received.text).toBeDefined();
    return link ?? '';
  }
  const resetLink = (to: string, skip = 0) => linkTo(to, /^Reset your password/, '/reset-password', skip);
  const verifyLink = (to: string, subject = /^Verify your email address/) => linkTo(to, subject, '/verify-email');

  /** Opens a link in a fresh browser and returns the browser and the page's form. */
  async function open(link: string): Promise<{ browser: Browser; page: Page; fields: Record<string, string> }> {
    const browser = new Browser();
    const page = await browser.get(link);
    expect(page.status, page.body).toBe(200);
    return { browser, page, fields: formFields(page.body) };
  }

  /** The page's title, as a browser tab shows it. */
  const titleOf = (page: Page) => /<title>([^<]*) · Gatehouse<\/title>/.exec(page.body)?.[1];

  /** What a link that no longer works is answered with, on each page. */
  const EXPIRED = {
    reset: { retry: '/forgot-password', label: 'Ask for a new link', says: 'This password-reset link has expired or was already used. Links work once, for 30 minutes.' },
    verify: {
      retry: '/account',
      label: 'Ask for a new link from your account page',
      says: 'This verification link has expired, was already used, or was replaced by a newer one. Links work once, for 24 hours.',
    },
  } as const;

  /** The answer is an expired-link page that says so and whose one link leads to where a new link is had. */
  function expectExpired(page: Page, kind: keyof typeof EXPIRED): void {
    const { retry, label, says } = EXPIRED[kind];
    expect(page.status, page.body).toBe(400);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(titleOf(page)).toBe('This link no longer works');
    expect(page.body).toContain(`<p>${says}</p>`);
    expect(page.body).toContain(`<a href="${BASE}${retry}">${label}</a>`);
  }

  /**
   * Runs two submissions of one link so that both have found it live before either uses it: the first use waits
   * for the second to arrive, then both race to use it up.
   */
  async function bothReadFirst<T>(submit: () => Promise<T>): Promise<T> {
    const tokens = app.store.accountTokens;
    const consume = tokens.consume;
    let arrived: (() => void) | undefined;
    const second = new Promise<void>((resolve) => (arrived = resolve));
    let calls = 0;
    tokens.consume = async (...args) => {
      if (++calls === 1) await second;
      else arrived?.();
      return consume.apply(tokens, args);
    };
    try {
      return await submit();
    } finally {
      tokens.consume = consume;
    }
  }

  /** The newest audit event of a type and subject, once the work after the answer has written it. */
  async function eventOf(type: string, subject: string) {
    for (let round = 0; round < 250; round++) {
      const [event] = await app.store.audit.list({ limit: 1, filter: { type, subject } });
      if (event) return event;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no ${type} event for ${subject}`);
  }

  /** Runs `act` while the account is deleted right after its link was found live (as an administrator might). */
  async function deletedWhileOpened<T>(owner: UserRecord, act: () => Promise<T>): Promise<T> {
    const tokens = app.store.accountTokens;
    const findLive = tokens.findLive;
    tokens.findLive = async (...args) => {
      tokens.findLive = findLive;
      const record = await findLive.apply(tokens, args);
      expect(await app.store.users.delete(owner.id)).toBe(true);
      return record;
    };
    try {
      return await act();
    } finally {
      tokens.findLive = findLive;
    }
  }

  /** Runs `act` while the outbox cannot be written (its path is a file), then puts it back. */
  async function withBrokenOutbox(act: () => Promise<void>): Promise<void> {
    const outbox = path.join(app.config.dataDir, 'outbox');
    await rename(outbox, `${outbox}.aside`);
    await writeFile(outbox, '');
    try {
      await act();
    } finally {
      await rm(outbox);
      await rename(`${outbox}.aside`, outbox);
    }
  }

  /** The error log lines of `msg`, once the work after the answer has written one (polled, at most 5 s). */
  async function failureLogged(msg: string) {
    for (let round = 0; round < 250 && logged(msg).length === 0; round++) await new Promise((resolve) => setTimeout(resolve, 20));
    return logged(msg);
  }

  /** A form posted by a browser that never opened the page (no browser cookie): refused, saying what to do. */
  async function expectCookieless(route: string, fields: Record<string, string>, advice: string): Promise<void> {
    const forged = await new Browser().postForm(`${app.url}${route}`, fields);
    expect(forged.status).toBe(403);
    expect(forged.body).toContain(`Allow cookies for this site. ${advice}</p>`);
  }

  async function requestReset(email: string, ip = nextIp()): Promise<Page> {
    const browser = new Browser();
    const form = await browser.request(`${app.url}/forgot-password`, { headers: { 'X-Forwarded-For': ip } });
    return browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email }, { 'X-Forwarded-For': ip });
  }

  describe('forgot password', () => {
    it('keeps the form and its answers out of caches (RFC 9111 §5.2.2.5), and says how long the link works', async () => {
      const form = await new Browser().get(`${app.url}/forgot-password`);
      expect(form.status).toBe(200);
      expect(form.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(form)).toBe('Reset your password');
      expect(formFields(form.body)).toMatchObject({ email: '' });
      const sent = await requestReset('nobody.cached@example.com');
      expect(sent.status).toBe(200);
      expect(sent.headers.get('cache-control')).toBe('no-store');
      expect(sent.body).toContain('for 30 minutes');
      expect(titleOf(sent)).toBe('Check your email');
      const refused = await requestReset('not an address');
      expect(refused.status).toBe(400);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(refused)).toBe('Reset your password');
      expect(refused.body).toMatch(/<div class="error-summary" role="alert" tabindex="-1" autofocus id="forgot-error">[\s\S]*<p>Enter the email address of your account\.<\/p>/);
    });

    it('refuses a request from a browser that never opened the form, saying what to do, and sends nothing', async () => {
      const ola = await addUser(app, 'ola.forged@example.com');
      await expectCookieless('/forgot-password', { email: ola.email }, 'Open the page again and retry.');
      await requestReset('ned.after.forged@example.com');
      expect((await readOutbox(app.config.dataDir)).filter((received) => received.to === ola.email)).toEqual([]);
    });

    it('shows a malformed address back in the form up to the longest address there is (254), and never a longer text', async () => {
      const longest = `${'x'.repeat(253)}@`;
      const kept = await requestReset(longest);
      expect(kept.status).toBe(400);
      expect(formFields(kept.body).email).toBe(longest);
      const tooLong = await requestReset(`${'y'.repeat(254)}@`);
      expect(tooLong.status).toBe(400);
      expect(formFields(tooLong.body).email).toBe('');
      expect(tooLong.body).not.toContain('yyyy');
    });

    it('records who asked for a reset and from where, and treats an unknown address as no error', async () => {
      const ada = await addUser(app, 'ada.audited@example.com');
      await requestReset('nobody.audited@example.com', '192.0.2.201');
      await requestReset(ada.email, '192.0.2.202');
      await resetLink(ada.email);
      expect(await eventOf('password_reset.requested', ada.id)).toMatchObject({ actor: 'anonymous', subject: ada.id, ip: '192.0.2.202', at: clock.now() });
      expect(logged('password-reset mail failed')).toEqual([]);
    });

    it('answers a throttled request with when to try again, audits it with the address it came from, and past the audit budget logs it', async () => {
      const bo = await addUser(app, 'bo.throttled@example.com');
      const ip = '192.0.2.203';
      const answers: Page[] = [];
      for (let i = 0; i < 6; i++) answers.push(await requestReset(bo.email, ip));
      const throttled = answers[5]!;
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toBe('60');
      expect(throttled.headers.get('cache-control')).toBe('no-store');
      expect(throttled.body).toContain('Too many reset requests. Try again in 1 minute.');
      expect(formFields(throttled.body).email).toBe(bo.email);
      const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'password_reset.throttled' } });
      expect(event).toMatchObject({ actor: 'anonymous', subject: null, ip, outcome: 'failure', details: { by: 'account' }, at: clock.now() });

      for (let i = 0; i < 20; i++) await requestReset(bo.email, ip);
      expect(await app.store.audit.count({ type: 'password_reset.throttled' })).toBe(20);
      expect(logged('password-reset request throttled').at(-1)).toMatchObject({ by: 'account' });
    });
  });

  describe('reset password', () => {
    it('keeps the form and the answers out of caches, names the account, and sends the person to their account afterwards', async () => {
      const cy = await addUser(app, 'cy.reset@example.com');
      await mailPasswordReset(mail(), cy);
      const { browser, page, fields } = await open(await resetLink(cy.email));
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(page)).toBe('Choose a new password');
      expect(page.body).toContain(`for <strong>${cy.email}</strong>`);
      expect(page.body).toContain(`minlength="${app.config.passwordMinLength}"`);
      const mismatch = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: 'something else entirely' });
      expect(mismatch.status).toBe(400);
      expect(mismatch.headers.get('cache-control')).toBe('no-store');
      const done = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
      expect(done.status).toBe(200);
      expect(done.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(done)).toBe('Password changed');
      expect(done.body).toContain(`href="${BASE}/account"`);
    });

    it('says what is wrong with the password as a sentence, and nothing about the confirmation until the password is right', async () => {
      const dee = await addUser(app, 'dee.reset@example.com');
      await mailPasswordReset(mail(), dee);
      const { browser, fields } = await open(await resetLink(dee.email));
      const short = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: 'short', confirm: 'other' });
      expect(short.status).toBe(400);
      expect(short.body).toContain(`The password must be at least ${app.config.passwordMinLength} characters long.</p>`);
      expect(short.body).not.toContain('confirm-error');
      expect((await user(dee.id)).passwordHash).toBe(dee.passwordHash);
    });

    it('answers a link in a query that repeats the token, or without one, as an expired link leading to a new one', async () => {
      const eve = await addUser(app, 'eve.reset@example.com');
      await mailPasswordReset(mail(), eve);
      const link = await resetLink(eve.email);
      const token = new URL(link).searchParams.get('token') ?? '';
      expectExpired(await new Browser().get(`${app.url}/reset-password?token=${token}&token=${token}`), 'reset');
      expectExpired(await new Browser().get(`${app.url}/reset-password`), 'reset');
      expect((await new Browser().get(link)).status).toBe(200);
    });

    it('refuses a link of an account disabled after it was mailed, and changes nothing', async () => {
      const fay = await addUser(app, 'fay.reset@example.com');
      await mailPasswordReset(mail(), fay);
      const link = await resetLink(fay.email);
      const { browser, fields } = await open(link);
      await app.store.users.update(fay.id, { disabled: true }, clock.now());
      expectExpired(await new Browser().get(link), 'reset');
      expectExpired(await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD }), 'reset');
      expect((await user(fay.id)).passwordHash).toBe(fay.passwordHash);
    });

    it('lets exactly one of two submissions of one link at once set the password', async () => {
      const gus = await addUser(app, 'gus.reset@example.com');
      await mailPasswordReset(mail(), gus);
      const link = await resetLink(gus.email);
      const first = await open(link);
      const second = await open(link);
      const answers = await bothReadFirst(() =>
        Promise.all([
          first.browser.postForm(`${app.url}/reset-password`, { ...first.fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD }),
          second.browser.postForm(`${app.url}/reset-password`, { ...second.fields, password: `${NEW_PASSWORD} too`, confirm: `${NEW_PASSWORD} too` }),
        ]),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expectExpired(
        answers.find((answer) => answer.status === 400)!,
        'reset',
      );
      expect(await app.store.audit.count({ subject: gus.id, type: 'password_reset.completed' })).toBe(1);
    });

    it("sets no password when the account's address changed between the link's use and the write", async () => {
      const hal = await addUser(app, 'hal.reset@example.com');
      await mailPasswordReset(mail(), hal);
      const { browser, fields } = await open(await resetLink(hal.email));
      const tokens = app.store.accountTokens;
      const consume = tokens.consume;
      tokens.consume = async (...args) => {
        tokens.consume = consume;
        const record = await consume.apply(tokens, args);
        await app.store.users.update(hal.id, { email: 'hal.moved@example.com' }, clock.now());
        return record;
      };
      let answer: Page;
      try {
        answer = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
      } finally {
        tokens.consume = consume;
      }
      expectExpired(answer, 'reset');
      expect(await user(hal.id)).toMatchObject({ email: 'hal.moved@example.com', passwordHash: hal.passwordHash });
      expect(await app.store.audit.count({ subject: hal.id, type: 'password_reset.completed' })).toBe(0);
    });

    it("ends the account's sessions as ended by a new password, by the account itself", async () => {
      const tom = await addUser(app, 'tom.reset@example.com');
      expect((await signInToAccount(app, tom.email)).status).toBe(303);
      await mailPasswordReset(mail(), tom);
      const { browser, fields } = await open(await resetLink(tom.email));
      expect((await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD })).status).toBe(200);
      const ended = await app.store.audit.list({ limit: 10, filter: { subject: tom.id, type: 'session.ended' } });
      expect(ended).toEqual([expect.objectContaining({ actor: tom.id, details: expect.objectContaining({ reason: 'password_set' }) })]);
    });

    it('lifts the sign-in backoff an attacker ran up on the account, records where the reset came from, and says so in the notice', async () => {
      const ian = await addUser(app, 'ian.reset@example.com');
      const signIn = async (password: string) => {
        const ip = nextIp();
        const browser = new Browser();
        const form = await browser.request(`${app.url}/login?return_to=${encodeURIComponent(`${BASE}/account`)}`, { headers: { 'X-Forwarded-For': ip } });
        return (await browser.postForm(`${app.url}/login`, { ...formFields(form.body), email: ian.email, password }, { 'X-Forwarded-For': ip })).status;
      };
      for (let i = 0; i < 5; i++) expect(await signIn('a wrong guess at the password')).toBe(401);
      expect(await signIn(PASSWORD)).toBe(429);

      await mailPasswordReset(mail(), ian);
      const { browser, fields } = await open(await resetLink(ian.email));
      const ip = '192.0.2.204';
      const done = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD }, { 'X-Forwarded-For': ip });
      expect(done.status).toBe(200);
      expect(await signIn(NEW_PASSWORD)).toBe(303);
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: ian.id, type: 'password_reset.completed' } });
      expect(event).toMatchObject({ actor: ian.id, ip, at: clock.now() });
      const notice = await waitForMail(app.config.dataDir, ian.email, { subject: /password .* was changed/ });
      expect(notice.text).toContain(`on ${shownTime(clock.now())} from the address ${ip}.`);
      expect(notice.links).toContain(`${app.url}/forgot-password`);
    });
  });

  describe('the account going while its link is open', () => {
    it('answers a reset link whose account is deleted as it is opened as an expired link, not an error', async () => {
      const pat = await addUser(app, 'pat.deleted@example.com');
      await mailPasswordReset(mail(), pat);
      const link = await resetLink(pat.email);
      expectExpired(await deletedWhileOpened(pat, () => new Browser().get(link)), 'reset');
    });

    it('answers a verification link whose account is deleted as it is opened as an expired link, not an error', async () => {
      const quin = await addUser(app, 'quin.deleted@example.com');
      await mailVerification(mail(), quin, quin.email, false);
      const link = await verifyLink(quin.email);
      expectExpired(await deletedWhileOpened(quin, () => new Browser().get(link)), 'verify');
    });
  });

  describe('forms posted without the page', () => {
    it('refuses a reset or a confirmation from a browser that never opened the link, saying to open it again, and changes nothing', async () => {
      const ray = await addUser(app, 'ray.forged@example.com');
      await mailPasswordReset(mail(), ray);
      const reset = await open(await resetLink(ray.email));
      await expectCookieless('/reset-password', { ...reset.fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD }, 'Open the link from the email again.');
      await mailVerification(mail(), ray, ray.email, false);
      const verify = await open(await verifyLink(ray.email));
      await expectCookieless('/verify-email', verify.fields, 'Open the link from the email again.');
      expect(await user(ray.id)).toMatchObject({ passwordHash: ray.passwordHash, emailVerified: false });
    });
  });

  describe('verify email', () => {
    it("records the confirmation as the person's own, from the address it came from", async () => {
      const sue = await addUser(app, 'sue.verify@example.com');
      await mailVerification(mail(), sue, sue.email, false);
      const { browser, fields } = await open(await verifyLink(sue.email));
      const done = await browser.postForm(`${app.url}/verify-email`, fields, { 'X-Forwarded-For': '192.0.2.205' });
      expect(done.status).toBe(200);
      const [event] = await app.store.audit.list({ limit: 1, filter: { subject: sue.id, type: 'email.verified' } });
      expect(event).toMatchObject({ actor: sue.id, ip: '192.0.2.205' });
    });

    it('names a verification and a change for what they are, and keeps the pages out of caches', async () => {
      const jo = await addUser(app, 'jo.verify@example.com');
      await mailVerification(mail(), jo, jo.email, false);
      const verify = await open(await verifyLink(jo.email));
      expect(verify.page.headers.get('cache-control')).toBe('no-store');
      expect(verify.page.body).toContain('<h1>Confirm your email address</h1>');
      const verified = await verify.browser.postForm(`${app.url}/verify-email`, verify.fields);
      expect(verified.status).toBe(200);
      expect(verified.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(verified)).toBe('Email address confirmed');
      expect(verified.body).toContain('is confirmed as your address');
      expect(verified.body).toContain(`href="${BASE}/account"`);

      await requestEmailChange(mail(), jo, 'jo.moved@example.com', null);
      const change = await open(await verifyLink('jo.moved@example.com', /^Confirm your new email address/));
      expect(change.page.body).toContain('<h1>Confirm your new email address</h1>');
      const moved = await change.browser.postForm(`${app.url}/verify-email`, change.fields);
      expect(moved.status).toBe(200);
      expect(moved.body).toContain('Your account now uses <strong>jo.moved@example.com</strong>');
    });

    it('answers a query that repeats the token, or a link of a disabled account, as an expired link leading to the account page', async () => {
      const kim = await addUser(app, 'kim.verify@example.com');
      await mailVerification(mail(), kim, kim.email, false);
      const link = await verifyLink(kim.email);
      const token = new URL(link).searchParams.get('token') ?? '';
      expectExpired(await new Browser().get(`${app.url}/verify-email?token=${token}&token=${token}`), 'verify');
      const { browser, fields } = await open(link);
      await app.store.users.update(kim.id, { disabled: true }, clock.now());
      expectExpired(await new Browser().get(link), 'verify');
      expectExpired(await browser.postForm(`${app.url}/verify-email`, fields), 'verify');
      expect((await user(kim.id)).emailVerified).toBe(false);
    });

    it('lets exactly one of two confirmations of one link at once count', async () => {
      const lou = await addUser(app, 'lou.verify@example.com');
      await mailVerification(mail(), lou, lou.email, false);
      const link = await verifyLink(lou.email);
      const first = await open(link);
      const second = await open(link);
      const answers = await bothReadFirst(() => Promise.all([first.browser.postForm(`${app.url}/verify-email`, first.fields), second.browser.postForm(`${app.url}/verify-email`, second.fields)]));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expectExpired(
        answers.find((answer) => answer.status === 400)!,
        'verify',
      );
      expect(await app.store.audit.count({ subject: lou.id, type: 'email.verified' })).toBe(1);
    });

    it('answers a change to an address taken meanwhile with 409 and the way back to the account page', async () => {
      const max = await addUser(app, 'max.verify@example.com');
      await requestEmailChange(mail(), max, 'max.wanted@example.com', null);
      const { browser, fields } = await open(await verifyLink('max.wanted@example.com', /^Confirm your new email address/));
      await addUser(app, 'max.wanted@example.com');
      const refused = await browser.postForm(`${app.url}/verify-email`, fields);
      expect(refused.status).toBe(409);
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(titleOf(refused)).toBe('Address not changed');
      expect(refused.body).toContain('max.wanted@example.com now belongs to another account');
      expect(refused.body).toContain(`<a href="${BASE}/account">Go to your account</a>`);
      expect((await user(max.id)).email).toBe('max.verify@example.com');
    });
  });

  describe('mail that cannot be sent', () => {
    it("logs a reset link or a password-changed notice that could not be sent, for the operator, and the person's answer is the same", async () => {
      const uma = await addUser(app, 'uma.unsent@example.com');
      await mailPasswordReset(mail(), uma);
      const { browser, fields } = await open(await resetLink(uma.email));
      await withBrokenOutbox(async () => {
        const asked = await requestReset(uma.email);
        expect(asked.status).toBe(200);
        expect(await failureLogged('password-reset mail failed')).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ syscall: 'mkdir' }) })]);
        const done = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
        // The link mailed first was replaced by the request above, though its mail never left.
        expectExpired(done, 'reset');
      });
    });

    it('logs a password-changed notice that could not be sent, and the new password stands', async () => {
      const val = await addUser(app, 'val.unsent@example.com');
      await mailPasswordReset(mail(), val);
      const { browser, fields } = await open(await resetLink(val.email));
      await withBrokenOutbox(async () => {
        const done = await browser.postForm(`${app.url}/reset-password`, { ...fields, password: NEW_PASSWORD, confirm: NEW_PASSWORD });
        expect(done.status).toBe(200);
        expect(await failureLogged('password-changed mail failed')).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ syscall: 'mkdir' }) })]);
      });
      expect((await user(val.id)).passwordHash).not.toBe(val.passwordHash);
    });
  });

  it('sends no reset link for an address that has no account (control: the outbox only holds mail to accounts)', async () => {
    await requestReset('no.account.here@example.com');
    const ned = await addUser(app, 'ned.control@example.com');
    await requestReset(ned.email);
    await resetLink(ned.email);
    expect((await readOutbox(app.config.dataDir)).filter((received) => received.to === 'no.account.here@example.com')).toEqual([]);
  });
});
