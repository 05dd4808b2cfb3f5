// Passkey sign-in's less travelled paths (WebAuthn Level 2 §7.2, issue 10): what the authenticator's answer must
// carry (user verification, the owner's user handle, a counter that grows unless it keeps none), the challenge's
// binding to the browser that asked and its five minutes, the JSON refusals the login page's script shows, the
// throttle counters a refusal lands on, and the audit records. Passkeys are put in the store directly (what a
// registration stores, test/http/passkey-registration-edge-cases.test.ts); every answer goes over HTTP.
import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSKEY_CHALLENGE_LIFETIME_MS } from '../../src/auth/passkeys.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { KeyStoreError, StoreUnavailableError } from '../../src/errors.js';
import { csrfTokenFor } from '../../src/interaction/pending-request.js';
import type { PasskeyRecord, UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, redeemRaw, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson } from './account-helpers.js';
import { requestFrom, type AddressAnswer } from './from-address.js';
import { b64u, FLAGS, passkeyFields, postJson, SoftKey } from './passkey-helpers.js';

describe('passkey sign-in: edge cases', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;

  beforeAll(async () => {
    app = await startApp({ clock });
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  /** A passkey of `user`, stored as a registration stores it. */
  async function enrol(user: UserRecord, deviceType: PasskeyRecord['deviceType'] = 'singleDevice'): Promise<SoftKey> {
    const key = new SoftKey(app.url, user.id);
    await app.store.passkeys.create({
      credentialId: key.id,
      userId: user.id,
      name: 'Key',
      publicKey: b64u(key.cose()),
      counter: 0,
      transports: ['internal'],
      deviceType,
      backedUp: deviceType === 'multiDevice',
      createdAt: clock.now(),
    });
    return key;
  }

  /** The login page of a sign-in to the account page (return_to) in `browser`, and passkey options for it. */
  async function startSignIn(browser = new Browser()) {
    const fields = passkeyFields(await browser.get(`${app.url}/login?return_to=${encodeURIComponent('/account')}`));
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    expect(options.status, JSON.stringify(options.json)).toBe(200);
    const challenge: string = options.json.options.challenge;
    const answer = (response: unknown, extra: Record<string, unknown> = {}) =>
      postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response, ...extra });
    return { browser, fields, options, challenge, challengeId: options.json.challengeId as string, answer };
  }

  /** The same for an application's authorization request. */
  async function startApplicationSignIn(browser = new Browser()) {
    const start = await authorizationUrl(client);
    const fields = passkeyFields(await open(browser, app, start.url));
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    expect(options.status, JSON.stringify(options.json)).toBe(200);
    const answer = (response: unknown) => postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response });
    return { start, challenge: options.json.options.challenge as string, answer };
  }

  const stored = async (key: SoftKey) => {
    const passkey = await app.store.passkeys.findById(key.id);
    return { counter: passkey?.counter, lastUsedAt: passkey?.lastUsedAt };
  };
  /** The log line `msg` of the request that got `answer` (what an operator reads of a refusal). */
  const logOf = (answer: { headers: Headers | Record<string, unknown> }, msg: string) => {
    const id = answer.headers instanceof Headers ? answer.headers.get('x-request-id') : answer.headers['x-request-id'];
    expect(id).toEqual(expect.any(String));
    return app.logs.find((line) => line.reqId === id && line.msg === msg);
  };
  const failures = (email: string) => app.store.throttle.peek(`second_factor:account:${hashSecret(email)}`, clock.now());

  describe('the answer (WebAuthn §7.2)', () => {
    it('signs in with a synced passkey as amr swk and mfa (RFC 8176 §2), and records its counter and use', async () => {
      const user = await newPerson(app, 'synced');
      const key = await enrol(user, 'multiDevice');
      const { start, challenge, answer } = await startApplicationSignIn();
      const done = await answer(key.assertion(challenge, { counter: 7 }));
      expect(done.status, JSON.stringify(done.json)).toBe(200);
      const tokens = await redeemRaw(app, client, new URL(done.json.redirect).searchParams.get('code') ?? '', start);
      expect(decodeJwt(tokens.id_token ?? '').amr).toEqual(['swk', 'mfa']);
      expect(await stored(key)).toEqual({ counter: 7, lastUsedAt: clock.now() });
    });

    it('refuses an answer without user verification (§7.2 step 17): 401, the passkey untouched', async () => {
      const user = await newPerson(app, 'nouv');
      const key = await enrol(user);
      const attempt = await startSignIn();
      const refused = await attempt.answer(key.assertion(attempt.challenge, { flags: FLAGS.UP }));
      expect(refused.status).toBe(401);
      expect(refused.json.error).toBe('not_accepted');
      expect(logOf(refused, 'passkey sign-in refused')).toMatchObject({ reason: 'passkey_refused', detail: expect.stringMatching(/verif/) });
      expect(attempt.browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
      expect(await stored(key)).toEqual({ counter: 0, lastUsedAt: null });
    });

    it('accepts an answer without a user handle (§7.2 step 6: the credential names its owner)', async () => {
      const key = await enrol(await newPerson(app, 'nohandle'));
      const attempt = await startSignIn();
      const done = await attempt.answer(key.assertion(attempt.challenge, { userHandle: null }));
      expect(done.status, JSON.stringify(done.json)).toBe(200);
      expect(done.json).toEqual({ redirect: '/account' });
    });

    it('refuses an answer whose user handle names another account (§7.2 step 6): 401, the passkey untouched, audited for its owner', async () => {
      const owner = await newPerson(app, 'owner');
      const other = await newPerson(app, 'other');
      const key = await enrol(owner);
      const attempt = await startSignIn();
      const refused = await attempt.answer(key.assertion(attempt.challenge, { userHandle: b64u(Buffer.from(other.id)) }));
      expect(refused.status).toBe(401);
      expect(refused.json.error).toBe('not_accepted');
      expect(await stored(key)).toEqual({ counter: 0, lastUsedAt: null });
      expect(logOf(refused, 'passkey sign-in refused')).toMatchObject({ reason: 'passkey_refused', detail: expect.stringMatching(/user handle/) });
      const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'signin.failed' } });
      expect(event).toMatchObject({ subject: owner.id, clientId: null, outcome: 'failure', details: { reason: 'passkey_refused' } });
    });

    it('signs in again and again with an authenticator that keeps no signature counter (always 0, §6.1.1)', async () => {
      const key = await enrol(await newPerson(app, 'nocounter'));
      for (let i = 0; i < 2; i++) {
        const attempt = await startSignIn();
        const done = await attempt.answer(key.assertion(attempt.challenge, { counter: 0 }));
        expect(done.status, JSON.stringify(done.json)).toBe(200);
      }
      expect((await stored(key)).counter).toBe(0);
    });

    it('refuses a counter that falls back below the stored one (§6.1.1, a cloned authenticator) and takes one above it', async () => {
      const key = await enrol(await newPerson(app, 'counter'));
      const first = await startSignIn();
      expect((await first.answer(key.assertion(first.challenge, { counter: 10 }))).status).toBe(200);
      const lower = await startSignIn();
      expect((await lower.answer(key.assertion(lower.challenge, { counter: 9 }))).status).toBe(401);
      expect((await stored(key)).counter).toBe(10);
      const higher = await startSignIn();
      expect((await higher.answer(key.assertion(higher.challenge, { counter: 11 }))).status).toBe(200);
      expect((await stored(key)).counter).toBe(11);
    });
  });

  describe('the challenge', () => {
    it('is bound to the browser that asked for it: another browser’s answer is refused as expired, and uses it up', async () => {
      const key = await enrol(await newPerson(app, 'bound'));
      const asker = await startSignIn();
      // Another browser with a sign-in of its own sends the asker's challenge id, signed by the right key.
      const thief = await startSignIn();
      const stolen = await thief.answer(key.assertion(asker.challenge), { challengeId: asker.challengeId });
      expect(stolen.status).toBe(400);
      expect(stolen.json.error).toBe('expired');
      expect(thief.browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
      // One answer per challenge, whatever it was: the asker starts again.
      const late = await asker.answer(key.assertion(asker.challenge));
      expect(late.json.error).toBe('expired');
    });

    it(`lives ${PASSKEY_CHALLENGE_LIFETIME_MS / 60_000} minutes: an answer after that is refused as expired`, async () => {
      const key = await enrol(await newPerson(app, 'lifetime'));
      const inTime = await startSignIn();
      const late = await startSignIn();
      clock.advance(PASSKEY_CHALLENGE_LIFETIME_MS - 1);
      expect((await inTime.answer(key.assertion(inTime.challenge))).status).toBe(200);
      clock.advance(1);
      const refused = await late.answer(key.assertion(late.challenge));
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({ error: 'expired', message: expect.stringContaining('expired') });
    });

    it('takes its id only as a string: a number is refused as expired and leaves the challenge for the real answer', async () => {
      const key = await enrol(await newPerson(app, 'idtype'));
      const attempt = await startSignIn();
      const numeric = await attempt.answer(key.assertion(attempt.challenge), { challengeId: 12345 });
      expect(numeric.status).toBe(400);
      expect(numeric.json.error).toBe('expired');
      expect((await attempt.answer(key.assertion(attempt.challenge))).status).toBe(200);
    });
  });

  describe('JSON refusals for the login page’s script', () => {
    it('answers options, refusals and the way on with Cache-Control: no-store', async () => {
      const key = await enrol(await newPerson(app, 'nostore'));
      const attempt = await startSignIn();
      expect(attempt.options.headers.get('cache-control')).toBe('no-store');
      const unreadable = await attempt.answer({ id: key.id });
      expect(unreadable.status).toBe(400);
      expect(unreadable.headers.get('cache-control')).toBe('no-store');
      const forged = await attempt.answer(key.assertion(attempt.challenge, { signer: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }));
      expect(forged.status).toBe(401);
      expect(forged.headers.get('cache-control')).toBe('no-store');
      expect(logOf(forged, 'passkey sign-in refused')).toMatchObject({ reason: 'passkey_refused', detail: expect.stringMatching(/signature/) });
      const again = await startSignIn();
      const done = await again.answer(key.assertion(again.challenge));
      expect(done.status).toBe(200);
      expect(done.headers.get('cache-control')).toBe('no-store');
    });

    it('says an answer that is not a passkey’s could not be read', async () => {
      const attempt = await startSignIn();
      const unreadable = await attempt.answer('nothing');
      expect(unreadable.status).toBe(400);
      expect(unreadable.json).toEqual({ error: 'invalid_request', message: expect.stringContaining('could not be read') });
    });

    it('refuses a browser without the sign-in cookie: 403 forbidden, saying the cookie is missing', async () => {
      const { fields } = await startSignIn();
      for (const path of ['/login/passkey/options', '/login/passkey']) {
        const refused = await postJson(new Browser(), `${app.url}${path}`, fields);
        expect(refused.status).toBe(403);
        expect(refused.json.error).toBe('forbidden');
        expect(refused.json.message).toMatch(/cookie/);
        expect(refused.headers.get('cache-control')).toBe('no-store');
        expect(logOf(refused, 'request refused')).toMatchObject({ error: 'ForbiddenForm' });
      }
    });

    it('refuses a CSRF token that is wrong or not a string: 403 forbidden, telling to reload the sign-in page', async () => {
      const { browser, fields } = await startSignIn();
      for (const csrf of ['x'.repeat(43), 12345]) {
        const refused = await postJson(browser, `${app.url}/login/passkey/options`, { ...fields, csrf });
        expect(refused.status).toBe(403);
        expect(refused.json).toEqual({ error: 'forbidden', message: expect.stringContaining('Reload the sign-in page') });
      }
    });

    it('refuses an authorization request that is unknown, or a return path that is not ours: 400 expired', async () => {
      const { browser, fields } = await startSignIn();
      const unknown = await postJson(browser, `${app.url}/login/passkey/options`, { request: 'made-up', csrf: fields.csrf });
      expect(unknown.status).toBe(400);
      expect(unknown.json.error).toBe('expired');
      const elsewhere = await postJson(browser, `${app.url}/login/passkey/options`, { return_to: 'https://attacker.example/', csrf: fields.csrf });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.json.error).toBe('expired');
    });

    it('answers a body that is not JSON, malformed JSON and one over 32 kB as JSON refusals, storing no challenge', async () => {
      const { browser, fields } = await startSignIn();
      const before = await app.store.signInChallenges.deleteExpired(Number.MAX_SAFE_INTEGER);
      expect(before).toBeGreaterThan(0);
      const notJson = await postJson(browser, `${app.url}/login/passkey/options`, new URLSearchParams(fields).toString(), 'text/plain');
      expect(notJson.status).toBe(400);
      expect(notJson.json.error).toBe('expired');
      const malformed = await postJson(browser, `${app.url}/login/passkey/options`, '{"csrf":', 'application/json');
      expect(malformed.status).toBe(400);
      expect(malformed.json).toEqual({ error: 'invalid_request', message: 'The request could not be read. Reload the page and try again.' });
      expect(malformed.headers.get('cache-control')).toBe('no-store');
      const large = await postJson(browser, `${app.url}/login/passkey`, { ...fields, padding: 'x'.repeat(33 * 1024) });
      expect(large.status).toBe(413);
      expect(large.json.error).toBe('request_too_large');
      expect(await app.store.signInChallenges.deleteExpired(Number.MAX_SAFE_INTEGER)).toBe(0);
    });

    it('leaves a server-side error (500 and up) to the one error handler, not a refusal of the form', async () => {
      const { browser, fields } = await startSignIn();
      const challenges = app.store.signInChallenges;
      const create = challenges.create;
      for (const [error, status] of [
        [new StoreUnavailableError('the database is not answering'), 503],
        [new KeyStoreError('no key to sign with'), 500],
      ] as const) {
        challenges.create = async () => {
          throw error;
        };
        try {
          const answer = await postJson(browser, `${app.url}/login/passkey/options`, fields);
          expect(answer.status).toBe(status);
          expect(answer.json.message).toBeUndefined();
          expect(answer.json.error_description).toEqual(expect.any(String));
        } finally {
          challenges.create = create;
        }
      }
    });
  });

  describe('throttling (NIST SP 800-63B §5.2.2) and audit', () => {
    it('counts a refused passkey on its owner’s second-factor counter, and a sign-in forgets it', async () => {
      const user = await newPerson(app, 'counted');
      const key = await enrol(user);
      const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const fail = async () => {
        const attempt = await startSignIn();
        return (await attempt.answer(key.assertion(attempt.challenge, { signer: forger }))).status;
      };
      for (let i = 0; i < 4; i++) expect(await fail()).toBe(401);
      expect(await failures(user.email)).toMatchObject({ attempts: 4 });
      const attempt = await startSignIn();
      expect((await attempt.answer(key.assertion(attempt.challenge))).status).toBe(200);
      expect(await failures(user.email)).toBeNull();
      // Four failures and a sign-in, then two failures: the fifth failure in a row would have blocked the next.
      expect(await fail()).toBe(401);
      expect(await fail()).toBe(401);
    });

    it('throttles answers naming unknown passkeys per client address: five, then 429 there, while another address goes on', async () => {
      const browser = 'chosen-by-the-sender';
      const fields = { return_to: '/account', csrf: csrfTokenFor(browser, 'return\0/account') };
      const headers = { 'Content-Type': 'application/json', Accept: 'application/json', Cookie: `gatehouse_browser=${browser}` };
      const stranger = new SoftKey(app.url, 'nobody');
      const unknownFrom = async (ip: string): Promise<AddressAnswer> => {
        const options = await requestFrom(ip, `${app.url}/login/passkey/options`, { method: 'POST', headers, body: JSON.stringify(fields) });
        expect(options.status).toBe(200);
        const response = stranger.assertion(options.json.options.challenge);
        return requestFrom(ip, `${app.url}/login/passkey`, { method: 'POST', headers, body: JSON.stringify({ ...fields, challengeId: options.json.challengeId, response }) });
      };
      const answers: AddressAnswer[] = [];
      for (let i = 0; i < 6; i++) answers.push(await unknownFrom('127.0.4.1'));
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 429]);
      expect(answers[5]?.json).toEqual({ error: 'throttled', message: expect.stringMatching(/^Too many failed attempts\. Try again in /) });
      expect(Number(answers[5]?.headers['retry-after'])).toBeGreaterThan(0);
      const other = await unknownFrom('127.0.4.2');
      expect(other.status).toBe(401);
      expect(logOf(other, 'passkey sign-in refused')).toMatchObject({ reason: 'passkey_refused', detail: 'unknown credential' });
      // A known account is not caught by the unknown keys' counter.
      const key = await enrol(await newPerson(app, 'known'));
      const attempt = await startSignIn();
      expect((await attempt.answer(key.assertion(attempt.challenge))).status).toBe(200);
    });

    it('audits a refused passkey and a disabled account as signin.failed, with the reason, the owner and the application', async () => {
      const user = await newPerson(app, 'audited');
      const key = await enrol(user);
      const forged = await startApplicationSignIn();
      expect((await forged.answer(key.assertion(forged.challenge, { flags: FLAGS.UP }))).status).toBe(401);
      const [refused] = await app.store.audit.list({ limit: 1, filter: { type: 'signin.failed' } });
      expect(refused).toMatchObject({ subject: user.id, clientId: client.clientId, actor: 'anonymous', outcome: 'failure', details: { reason: 'passkey_refused' } });
      await app.store.users.update(user.id, { disabled: true }, clock.now());
      const disabled = await startApplicationSignIn();
      const refusal = await disabled.answer(key.assertion(disabled.challenge));
      expect(refusal.status).toBe(401);
      const line = logOf(refusal, 'passkey sign-in refused');
      expect(line).toMatchObject({ reason: 'account_disabled' });
      expect(line?.detail).toBeUndefined();
      const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'signin.failed' } });
      expect(event).toMatchObject({ subject: user.id, clientId: client.clientId, details: { reason: 'account_disabled' } });
      expect(await failures(user.email)).toMatchObject({ attempts: 2 });
    });

    it('audits the request that uses up an address’s budget of passkey challenges once (admission.throttled)', async () => {
      const ip = '127.0.4.9';
      const browser = 'chosen-by-the-sender';
      const headers = { 'Content-Type': 'application/json', Accept: 'application/json', Cookie: `gatehouse_browser=${browser}` };
      const body = JSON.stringify({ return_to: '/account', csrf: csrfTokenFor(browser, 'return\0/account') });
      const rule = THROTTLE_RULES.admission;
      const audited = async () => app.store.audit.list({ limit: 10, filter: { type: 'admission.throttled' } });
      const before = (await audited()).length;
      // The first of the budget is not audited; the other requests before the last are counted in the store directly.
      expect((await requestFrom(ip, `${app.url}/login/passkey/options`, { method: 'POST', headers, body })).status).toBe(200);
      expect((await audited()).length).toBe(before);
      for (let i = 2; i < rule.limit; i++) await app.store.throttle.attempt(`passkey_options:address:${ip}`, rule, clock.now());
      const last = await requestFrom(ip, `${app.url}/login/passkey/options`, { method: 'POST', headers, body });
      expect(last.status).toBe(200);
      const events = await audited();
      expect(events.length).toBe(before + 1);
      expect(events[0]).toMatchObject({
        type: 'admission.throttled',
        actor: 'anonymous',
        subject: null,
        clientId: null,
        ip,
        outcome: 'failure',
        at: clock.now(),
        details: { scope: 'passkey_options', retry_after: rule.windowMs / 1000 },
      });
      const refused = await requestFrom(ip, `${app.url}/login/passkey/options`, { method: 'POST', headers, body });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe(String(rule.windowMs / 1000));
      expect(refused.json).toEqual({ error: 'throttled', message: 'Too many passkey sign-ins were started from your network. Try again in 10 minutes.' });
      expect(logOf(refused, 'passkey challenge not issued: too many from this address')).toMatchObject({ scope: 'passkey_options', retryAt: clock.now() + rule.windowMs });
      expect((await audited()).length).toBe(before + 1);
    });
  });
});
