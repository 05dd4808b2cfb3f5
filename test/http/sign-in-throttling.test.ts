// Brute-force throttling of sign-ins (OWASP ASVS V2.2.1, NIST SP 800-63B §5.2.2): per account, 5 failures in 15
// minutes then a backoff of 1 minute doubling to 1 hour; per client address, 100 failures an hour. A throttled
// attempt never reaches argon2 and is audited; the answer never tells an account from an address without one.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_CONCURRENCY, argon2Verifications } from '../../src/auth/password-hash.js';
import type { UserRecord } from '../../src/store/records.js';
import { signedInAdmin } from '../helpers/admin.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { loginAlertOf, signInFormFrom } from '../helpers/sign-in-form.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const WRONG = 'not the right password at all';

const alertOf = loginAlertOf;

describe('sign-in throttling per account and per client address', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let ada: UserRecord;
  let address = 0;

  beforeAll(async () => {
    clock = new FakeClock();
    // Each test signs in from its own address (X-Forwarded-For through a trusted loopback proxy), so that the
    // per-address budget of one test does not run into the next.
    app = await startApp({ clock, env: { TRUST_PROXY: 'loopback' } });
    ada = await addUser(app);
  });

  afterAll(async () => {
    await app.stop();
  });

  afterEach(() => {
    // Every counter of a test is forgotten a day after its last attempt.
    clock.advance(25 * 60 * MINUTE);
  });

  /** A browser on the sign-in form of /account from one client address, and a way to submit it. */
  const signInForm = (ip = `198.51.100.${++address}`) => signInFormFrom(app, ip);

  async function auditOf(type: string) {
    return app.store.audit.list({ limit: 100, filter: { type } });
  }

  it('slows 20 wrong passwords in a row down as specified: 5 free, then 1 minute doubling to at most 1 hour', async () => {
    const form = await signInForm();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 20; attempt++) {
      const answer = await form.submit(ada.email, WRONG);
      expect(answer.status, `attempt ${attempt}`).toBe(401);
      if (attempt < 5) continue;
      const next = await form.submit(ada.email, WRONG);
      expect(next.status, `right after attempt ${attempt}`).toBe(429);
      const wait = Number(next.headers.get('retry-after'));
      waits.push(wait);
      // One second early is still too early.
      clock.advance(wait * 1000 - 1000);
      expect((await form.submit(ada.email, WRONG)).status).toBe(429);
      clock.advance(1000);
    }
    expect(waits).toEqual([60, 120, 240, 480, 960, 1920, ...Array<number>(10).fill(3600)]);
  });

  it('answers a throttled attempt before argon2 runs, even with the right password, and says plainly when to try again', async () => {
    const form = await signInForm();
    for (let i = 0; i < 5; i++) expect((await form.submit(ada.email, WRONG)).status).toBe(401);
    const before = argon2Verifications();
    const answer = await form.submit(ada.email, PASSWORD);
    expect(argon2Verifications()).toBe(before);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('60');
    expect(alertOf(answer)).toBe('Too many failed sign-in attempts for this account. Try again in 1 minute.');
    expect(form.browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
    const [event] = await auditOf('signin.throttled');
    expect(event).toMatchObject({ actor: 'anonymous', subject: ada.id, ip: form.ip, outcome: 'failure', details: { by: 'account' } });
    // Once the minute has passed, the right password signs in.
    clock.advance(MINUTE);
    const signedIn = await form.submit(ada.email, PASSWORD);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe(`${app.url}/account`);
  });

  it('throttles an email with no account exactly like one with an account', async () => {
    const sequence = async (email: string) => {
      const form = await signInForm();
      const seen: string[] = [];
      for (let i = 0; i < 8; i++) {
        const answer = await form.submit(email, WRONG);
        seen.push(`${answer.status} ${answer.headers.get('retry-after')} ${alertOf(answer)}`);
        if (answer.status === 429) clock.advance(Number(answer.headers.get('retry-after')) * 1000);
      }
      return seen;
    };
    const known = await sequence(ada.email);
    clock.advance(25 * 60 * MINUTE);
    const unknown = await sequence('nobody-here@example.com');
    expect(unknown).toEqual(known);
    expect(known.filter((line) => line.startsWith('429'))).toHaveLength(2);
  });

  it('counts only failures: 16 people signing in to one account at the same time are all let in', async () => {
    const forms = await Promise.all(Array.from({ length: 16 }, () => signInForm('198.51.100.200')));
    const answers = await Promise.all(forms.map((form) => form.submit(ada.email, PASSWORD)));
    expect(answers.map((answer) => answer.status)).toEqual(Array<number>(16).fill(303));
  });

  it('cuts a burst of concurrent wrong guesses off at the limit: at most ARGON2_CONCURRENCY − 1 more are hashed', async () => {
    const forms = await Promise.all(Array.from({ length: 30 }, () => signInForm('198.51.100.201')));
    const before = argon2Verifications();
    const answers = await Promise.all(forms.map((form) => form.submit(ada.email, WRONG)));
    const hashed = argon2Verifications() - before;
    expect(hashed).toBeGreaterThanOrEqual(5);
    expect(hashed).toBeLessThanOrEqual(5 + ARGON2_CONCURRENCY - 1);
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(hashed);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(30 - hashed);
  });

  it('throttles a password re-entered for a sensitive admin action like a sign-in to that account', async () => {
    const admin = await signedInAdmin(app, 'throttled-admin@example.com');
    clock.advance(16 * MINUTE);
    const before = app.keyRing.schedule.keys.length;
    for (let i = 0; i < 5; i++) expect((await admin.post('/admin/keys/rotate', { confirm_password: WRONG })).status).toBe(403);
    const hashes = argon2Verifications();
    const refused = await admin.post('/admin/keys/rotate', { confirm_password: PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.body).toContain('Too many failed attempts. Try again in 1 minute.');
    expect(argon2Verifications()).toBe(hashes);
    expect(app.keyRing.schedule.keys.length).toBe(before);
    // The same counter as the sign-in form's.
    const form = await signInForm();
    expect((await form.submit('throttled-admin@example.com', PASSWORD)).status).toBe(429);
    clock.advance(MINUTE);
    expect((await admin.post('/admin/keys/rotate', { confirm_password: PASSWORD })).status).toBe(303);
    await app.keyRing.reload();
    expect(app.keyRing.schedule.keys.length).toBe(before + 1);
  });

  it('forgets the failures when the right password is given', async () => {
    const form = await signInForm();
    for (let i = 0; i < 4; i++) expect((await form.submit(ada.email, WRONG)).status).toBe(401);
    expect((await form.submit(ada.email, PASSWORD)).status).toBe(303);
    const again = await signInForm();
    for (let i = 0; i < 4; i++) expect((await again.submit(ada.email, WRONG)).status).toBe(401);
    expect((await again.submit(ada.email, WRONG)).status).toBe(401);
    expect((await again.submit(ada.email, WRONG)).status).toBe(429);
  });

  it('counts only the failures of the last 15 minutes toward the first block', async () => {
    const form = await signInForm();
    for (let i = 0; i < 4; i++) expect((await form.submit(ada.email, WRONG)).status).toBe(401);
    clock.advance(15 * MINUTE);
    for (let i = 0; i < 4; i++) expect((await form.submit(ada.email, WRONG)).status).toBe(401);
  });

  it('matches the email the way sign-in does: case and surrounding space make no new account to guess against', async () => {
    const form = await signInForm();
    const spellings = ['ada@example.com', 'ADA@example.com', ' Ada@Example.com ', 'ada@EXAMPLE.COM', 'aDa@example.com'];
    for (const email of spellings) expect((await form.submit(email, WRONG)).status).toBe(401);
    expect((await form.submit('ada@example.com', WRONG)).status).toBe(429);
  });

  it('audits at most 20 throttled attempts an hour per address, then only logs them: refusals cannot grow the audit log without end', async () => {
    const form = await signInForm('203.0.113.77');
    for (let i = 0; i < 5; i++) expect((await form.submit(ada.email, WRONG)).status).toBe(401);
    for (let i = 0; i < 30; i++) expect((await form.submit(ada.email, WRONG)).status, `refusal ${i + 1}`).toBe(429);
    const audited = async () => (await app.store.audit.list({ limit: 100, filter: { type: 'signin.throttled' } })).filter((event) => event.ip === '203.0.113.77').length;
    expect(await audited()).toBe(20);
    // A new hour, a new budget of audit events; the refusals themselves go on as before.
    clock.advance(61 * MINUTE);
    expect((await form.submit(ada.email, WRONG)).status).toBe(401);
    expect((await form.submit(ada.email, WRONG)).status).toBe(429);
    expect(await audited()).toBe(21);
  });

  it('allows one client address 100 failed attempts an hour across all accounts, then answers 429 with Retry-After', async () => {
    const form = await signInForm('203.0.113.9');
    for (let i = 0; i < 100; i++) {
      const answer = await form.submit(`person${i}@example.com`, WRONG);
      expect(answer.status, `attempt ${i + 1}`).toBe(401);
    }
    const before = argon2Verifications();
    const blocked = await form.submit('someone-else@example.com', WRONG);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBe(3600);
    expect(alertOf(blocked)).toBe('Too many failed sign-in attempts from your network. Try again in 1 hour.');
    // Even the right password of a real account waits, and no hash is computed for it.
    expect((await form.submit(ada.email, PASSWORD)).status).toBe(429);
    expect(argon2Verifications()).toBe(before);
    const [event] = await auditOf('signin.throttled');
    expect(event).toMatchObject({ ip: '203.0.113.9', details: { by: 'address' } });
    // Another address is not affected.
    const other = await signInForm('203.0.113.10');
    expect((await other.submit('someone-else@example.com', WRONG)).status).toBe(401);
    // After the hour, the address starts a new budget.
    clock.advance(60 * MINUTE);
    expect((await form.submit(ada.email, PASSWORD)).status).toBe(303);
  });
});
