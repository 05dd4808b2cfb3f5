// Passkeys (WebAuthn Level 2, issue 10) over HTTP, on every engine: added from the account page, used instead of
// the password on the login page. A small software authenticator (P-256, "none" attestation, user verified)
// answers the ceremonies as a browser would pass them on; test/e2e/passkeys.test.ts does the same in Chromium.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_MFA } from '../../src/auth/mfa-policy.js';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { newTotpSecret, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, PASSWORD, redeemRaw, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, personIn, signedInPerson, type SignedInPerson } from './account-helpers.js';

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

/** A software authenticator holding one discoverable P-256 credential for one person. */
class SoftKey {
  readonly id = b64u(randomBytes(16));
  counter = 0;
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  constructor(
    private readonly origin: string,
    private readonly userId: string,
  ) {}

  /** The COSE_Key (RFC 9052 §7): kty EC2, alg ES256, crv P-256, x, y. */
  cose(): Buffer {
    const jwk = this.key.publicKey.export({ format: 'jwk' });
    const coord = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');
    return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), coord(jwk.x), Buffer.from([0x22, 0x58, 0x20]), coord(jwk.y)]);
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  private authData(flags: number, counter: number, attested = Buffer.alloc(0)): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(new URL(this.origin).hostname), Buffer.from([flags]), count, attested]);
  }

  /** What startRegistration() passes on: "none" attestation; flags UP, UV and AT. */
  attestation(challenge: string) {
    const id = Buffer.from(this.id, 'base64url');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const authData = this.authData(0x45, 0, Buffer.concat([Buffer.alloc(16), length, id, this.cose()]));
    const attestationObject = Buffer.concat([Buffer.from('a363666d74646e6f6e656761747453746d74a068617574684461746158', 'hex'), Buffer.from([authData.length]), authData]);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(this.clientData('webauthn.create', challenge)), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
    };
  }

  /** What startAuthentication() passes on: flags UP and UV, the counter, signed with `signer` (this key by default). */
  assertion(challenge: string, { counter = ++this.counter, signer = this.key.privateKey }: { counter?: number; signer?: KeyObject } = {}) {
    const clientDataJSON = this.clientData('webauthn.get', challenge);
    const authenticatorData = this.authData(0x05, counter);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), signer);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authenticatorData), signature: b64u(signature), userHandle: b64u(Buffer.from(this.userId)) },
    };
  }
}

interface JsonAnswer {
  status: number;
  location: string | null;
  headers: Headers;
  json: Record<string, any>;
}

async function postJson(browser: Browser, url: string, body: unknown): Promise<JsonAnswer> {
  const page = await browser.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  return {
    status: page.status,
    location: page.location,
    headers: page.headers,
    json: page.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(page.body) as Record<string, any>) : {},
  };
}

/** What public/passkeys.js sends from the login page: the password form's target and CSRF token. */
function passkeyFields(page: Page): Record<string, string> {
  expect(page.body, `status ${page.status}`).toContain('data-passkey-sign-in hidden');
  const fields = formFields(page.body);
  return Object.fromEntries(['request', 'return_to', 'csrf'].filter((name) => name in fields).map((name) => [name, fields[name] ?? '']));
}

describe('passkeys (WebAuthn Level 2) on the account page and the login page', () => {
  let app: RunningApp;
  let client: TestClient;
  let strict: TestClient;
  // Moves only when told to (how recent a sign-in is); five seconds into a TOTP time step.
  const clock = new FakeClock(Math.floor(Date.now() / 30_000) * 30_000 + 5_000);

  beforeAll(async () => {
    app = await startApp({ clock });
    client = await addClient(app);
    strict = await addClient(app, { name: 'Payroll', requireMfa: true });
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** Removes every challenge and says how many there were: what a request wrote. */
  const challengeRows = () => app.store.signInChallenges.deleteExpired(Date.now() + 86_400_000);

  /** Registers a new software passkey for `person` from the account page, as public/passkeys.js does. */
  async function register(person: SignedInPerson, name = 'Work laptop'): Promise<SoftKey> {
    const key = new SoftKey(app.url, person.user.id);
    const csrf = await person.csrf();
    const options = await postJson(person.browser, `${app.url}/account/passkeys/options`, { csrf, current_password: PASSWORD });
    expect(options.status, JSON.stringify(options.json)).toBe(200);
    const created = await postJson(person.browser, `${app.url}/account/passkeys`, {
      csrf,
      challengeId: options.json.challengeId,
      name,
      response: key.attestation(options.json.options.challenge),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.redirect).toBe('/account?done=passkey-added');
    return key;
  }

  /** Opens the login page of a new authorization request and asks for passkey options. */
  async function startSignIn(browser = new Browser(), to = client, extra: Record<string, string> = {}) {
    const start = await authorizationUrl(to, extra);
    const fields = passkeyFields(await open(browser, app, start.url));
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    expect(options.status, JSON.stringify(options.json)).toBe(200);
    const answer = (response: unknown) => postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response });
    return { browser, start, fields, options: options.json, answer };
  }

  it('registers a discoverable, user-verified passkey after the current password, and lists it', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'register'));
    const csrf = await person.csrf();
    const options = await postJson(person.browser, `${app.url}/account/passkeys/options`, { csrf, current_password: PASSWORD });
    expect(options.json.options).toMatchObject({
      rp: { name: 'Gatehouse', id: '127.0.0.1' },
      user: { id: b64u(Buffer.from(person.user.id)), name: person.user.email },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    });
    expect(options.json.options.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual([-7, -257]);
    const key = new SoftKey(app.url, person.user.id);
    const created = await postJson(person.browser, `${app.url}/account/passkeys`, {
      csrf,
      challengeId: options.json.challengeId,
      name: '  Work laptop  ',
      response: key.attestation(options.json.options.challenge),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(await app.store.passkeys.listForUser(person.user.id)).toMatchObject([{ credentialId: key.id, name: 'Work laptop', deviceType: 'singleDevice', counter: 0 }]);
    const page = await person.page('?done=passkey-added');
    expect(page.body).toContain('Your passkey was added.');
    expect(page.body).toContain('Work laptop');
    const events = await app.store.audit.list({ limit: 5, filter: { subject: person.user.id } });
    expect(events.map((event) => event.type)).toContain('account.passkey_added');
    // The same authenticator again is refused: its id is taken.
    const again = await postJson(person.browser, `${app.url}/account/passkeys/options`, { csrf, current_password: PASSWORD });
    expect(again.json.options.excludeCredentials).toEqual([{ id: key.id, type: 'public-key', transports: ['internal'] }]);
  });

  it('refuses registration options without the CSRF token, without a session, or with a wrong current password, writing nothing', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'refused'));
    await challengeRows();
    const noCsrf = await postJson(person.browser, `${app.url}/account/passkeys/options`, { current_password: PASSWORD });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json.error).toBe('forbidden');
    const anonymous = await postJson(new Browser(), `${app.url}/account/passkeys/options`, { csrf: await person.csrf(), current_password: PASSWORD });
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toContain('/login?return_to=');
    const wrong = await postJson(person.browser, `${app.url}/account/passkeys/options`, { csrf: await person.csrf(), current_password: 'not my password at all' });
    expect(wrong.status).toBe(400);
    expect(wrong.json).toEqual({ error: 'wrong_password', message: 'That is not your current password.' });
    const forged = await postJson(person.browser, `${app.url}/account/passkeys`, {
      csrf: await person.csrf(),
      challengeId: 'made-up',
      name: 'x',
      response: new SoftKey(app.url, person.user.id).attestation('made-up'),
    });
    expect(forged.status).toBe(400);
    expect(forged.json.error).toBe('expired');
    expect(await challengeRows()).toBe(0);
    expect(await app.store.passkeys.listForUser(person.user.id)).toEqual([]);
  });

  it('signs in with a passkey instead of the password: a code for the application, amr hwk and mfa (RFC 8176)', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'signin'));
    const key = await register(person);
    const { start, options, answer } = await startSignIn();
    expect(options.options).toMatchObject({ rpId: '127.0.0.1', userVerification: 'required' });
    expect(options.options.allowCredentials ?? []).toEqual([]);
    const done = await answer(key.assertion(options.options.challenge));
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    const callback = new URL(done.json.redirect);
    expect(callback.href.startsWith(client.redirectUri)).toBe(true);
    const tokens = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    expect(decodeJwt(tokens.id_token ?? '').amr).toEqual(['hwk', 'mfa']);
    expect((await app.store.passkeys.findById(key.id))?.lastUsedAt).not.toBeNull();
  });

  it('answers a made-up answer with 400 or 401 JSON and signs nobody in; a challenge takes one answer only', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'madeup'));
    const key = await register(person);
    const noCsrf = await postJson(new Browser(), `${app.url}/login/passkey/options`, {});
    expect(noCsrf.status).toBe(403);
    const attempt = await startSignIn();
    const unreadable = await attempt.answer({ id: 'x', response: 'nothing' });
    expect(unreadable.status).toBe(400);
    expect(unreadable.json.error).toBe('invalid_request');
    const stranger = new SoftKey(app.url, person.user.id);
    const unknown = await attempt.answer(stranger.assertion(attempt.options.challenge));
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual({ error: 'not_accepted', message: 'This passkey was not accepted. Try again, or sign in with your password.' });
    expect(attempt.browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBeUndefined();
    // The challenge went with the first answer: even the right key's answer to it is refused now.
    const late = await attempt.answer(key.assertion(attempt.options.challenge));
    expect(late.status).toBe(400);
    expect(late.json.error).toBe('expired');
  });

  it('refuses a replayed answer, a counter that does not grow (a cloned key), and a disabled account', async () => {
    const user: UserRecord = await newPerson(app, 'replay');
    const person = await signedInPerson(app, user);
    const key = await register(person);
    // A sign-in to the account page (return_to), whose target survives the first sign-in.
    const browser = new Browser();
    const login = await browser.get(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
    const fields = passkeyFields(login);
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    const response = key.assertion(options.json.options.challenge);
    const first = await postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response });
    expect(first.json).toEqual({ redirect: '/account' });
    const replay = await postJson(new Browser(), `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response });
    expect(replay.status).toBe(403);
    const replayHere = await postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response });
    expect(replayHere.json.error).toBe('expired');

    const cloned = await startSignIn();
    expect((await cloned.answer(key.assertion(cloned.options.challenge, { counter: key.counter }))).status).toBe(401);
    await app.store.users.update(user.id, { disabled: true }, Date.now());
    const disabled = await startSignIn();
    expect((await disabled.answer(key.assertion(disabled.options.challenge))).status).toBe(401);
  });

  it('throttles wrong answers for an account like second-factor codes: 429 with Retry-After', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'throttle'));
    const key = await register(person);
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const attempt = await startSignIn();
      const answer = await attempt.answer(key.assertion(attempt.options.challenge, { signer: forger }));
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(answer.json.message).toMatch(/^Too many failed attempts\. Try again in /);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  /** Signs in to the account page with `key` in `browser` (return_to), as public/passkeys.js does: amr hwk, mfa. */
  async function passkeySignInToAccount(browser: Browser, key: SoftKey, user: UserRecord): Promise<SignedInPerson> {
    const fields = passkeyFields(await browser.get(`${app.url}/login?return_to=${encodeURIComponent('/account')}`));
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    const done = await postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response: key.assertion(options.json.options.challenge) });
    expect(done.json).toEqual({ redirect: '/account' });
    return personIn(app, user, browser);
  }

  it('renames and removes a passkey with forms (removing asks for the current password); a removed passkey signs nobody in', async () => {
    const user = await newPerson(app, 'remove');
    const key = await register(await signedInPerson(app, user));
    const person = await passkeySignInToAccount(new Browser(), key, user);
    const tooLong = await person.post('/account/passkeys/rename', { credential_id: key.id, name: 'x'.repeat(61) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('Use at most 60 characters.');
    const renamed = await person.post('/account/passkeys/rename', { credential_id: key.id, name: 'Phone' });
    expect(renamed.location).toBe(`${app.url}/account?done=passkey-renamed`);
    expect((await app.store.passkeys.findById(key.id))?.name).toBe('Phone');

    const wrong = await person.post('/account/passkeys/remove', { credential_id: key.id, current_password: 'not my password at all' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('That is not your current password.');
    expect(await app.store.passkeys.findById(key.id)).not.toBeNull();
    const removed = await person.post('/account/passkeys/remove', { credential_id: key.id, current_password: PASSWORD });
    expect(removed.location).toBe(`${app.url}/account?done=passkey-removed`);
    expect(await app.store.passkeys.findById(key.id)).toBeNull();
    const events = await app.store.audit.list({ limit: 5, filter: { subject: person.user.id } });
    expect(events.map((event) => event.type)).toContain('account.passkey_removed');
    const attempt = await startSignIn();
    expect((await attempt.answer(key.assertion(attempt.options.challenge))).status).toBe(401);
  });

  it('refuses to remove a passkey with the password alone: its owner proves it with a passkey sign-in of the last 15 minutes (issue 19, F8)', async () => {
    const user = await newPerson(app, 'strip');
    // A session signed in with the password: what a thief with the password and an open browser has.
    const byPassword = await signedInPerson(app, user);
    const key = await register(byPassword);
    const page = await byPassword.page();
    expect(page.body).toContain('Removing a passkey needs a sign-in with a passkey in the last 15 minutes.');
    const refused = await byPassword.post('/account/passkeys/remove', { credential_id: key.id, current_password: PASSWORD });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('This needs a sign-in with your passkey in the last 15 minutes.');
    expect(refused.body).toContain('id="passkey-remove-code-0-error"');
    expect(await app.store.passkeys.findById(key.id)).not.toBeNull();

    // Signed in with the passkey, but 15 minutes ago: no longer enough.
    const byPasskey = await passkeySignInToAccount(new Browser(), key, user);
    clock.advance(15 * 60 * 1000);
    expect((await byPasskey.post('/account/passkeys/remove', { credential_id: key.id, current_password: PASSWORD })).status).toBe(400);
    expect(await app.store.passkeys.findById(key.id)).not.toBeNull();
    const events = await app.store.audit.list({ limit: 10, filter: { subject: user.id } });
    expect(events.map((event) => event.type)).not.toContain('account.passkey_removed');

    const again = await passkeySignInToAccount(new Browser(), key, user);
    const removed = await again.post('/account/passkeys/remove', { credential_id: key.id, current_password: PASSWORD });
    expect(removed.location).toBe(`${app.url}/account?done=passkey-removed`);
  });

  it('takes a code from the authenticator app to remove a passkey, when the account has one', async () => {
    const user = await newPerson(app, 'withapp');
    const person = await signedInPerson(app, user);
    const key = await register(person);
    const secret = newTotpSecret();
    await app.store.totp.begin({ userId: user.id, sealedSecret: (await openSecretBox(app.config)).seal(secret, totpSecretAad(user.id)), createdAt: clock.now() });
    await app.store.totp.confirm(user.id, totpStep(clock.now()) - 10, clock.now());
    expect((await person.page()).body).toContain('id="passkey-remove-code-0"');
    const noCode = await person.post('/account/passkeys/remove', { credential_id: key.id, current_password: PASSWORD });
    expect(noCode.status).toBe(400);
    expect(noCode.body).toContain('Enter a code from your authenticator app, or one of your recovery codes.');
    expect(await app.store.passkeys.findById(key.id)).not.toBeNull();
    const removed = await person.post('/account/passkeys/remove', { credential_id: key.id, current_password: PASSWORD, code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(removed.location).toBe(`${app.url}/account?done=passkey-removed`);
  });

  it('meets a request for two factors with a passkey sign-in alone: acr_values and a client that requires them get the mfa acr', async () => {
    const user = await newPerson(app, 'stepup');
    const key = await register(await signedInPerson(app, user));
    for (const [to, extra] of [
      [client, { acr_values: ACR_MFA }],
      [strict, {}],
    ] as const) {
      const { start, options, answer } = await startSignIn(new Browser(), to, extra);
      const done = await answer(key.assertion(options.options.challenge));
      expect(done.status, JSON.stringify(done.json)).toBe(200);
      const tokens = await redeemRaw(app, to, new URL(done.json.redirect).searchParams.get('code') ?? '', start);
      expect(decodeJwt(tokens.id_token ?? '')).toMatchObject({ amr: ['hwk', 'mfa'], acr: ACR_MFA });
    }
    expect(await app.store.totp.find(user.id)).toBeNull();
  });

  it('serves the WebAuthn browser library from our origin, cached like our static files', async () => {
    const answer = await fetch(`${app.url}/static/vendor/simplewebauthn-browser.js`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/javascript/);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(await answer.text()).toContain('SimpleWebAuthnBrowser');
  });
});
