// Adding a passkey from the account page, its less travelled paths (WebAuthn Level 2 §7.1, issue 10): what the
// options say of the person, what an answer must carry to be stored (user verification, a "packed" attestation
// that verifies), what is stored of it (transports, a synced passkey), the same authenticator twice, a failing
// store, and a challenge bound to the session and the person that asked for it.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPasskey, registrationOptions, registrationResponseSchema, signInOptions, verifySignIn, authenticationResponseSchema, type PasskeyDependencies } from '../../src/auth/passkeys.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signedInPerson, type SignedInPerson } from './account-helpers.js';
import { b64u, FLAGS, postJson, SoftKey, type AttestationOptions, type JsonAnswer } from './passkey-helpers.js';

describe('adding a passkey: edge cases', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let deps: PasskeyDependencies;

  beforeAll(async () => {
    app = await startApp({ clock });
    deps = { store: app.store, clock, config: app.config };
  });
  afterAll(() => app.stop());

  /** Registration options for `person`, after the current password, as public/passkeys.js asks for them. */
  async function options(person: SignedInPerson) {
    const csrf = await person.csrf();
    const answer = await postJson(person.browser, `${app.url}/account/passkeys/options`, { csrf, current_password: PASSWORD });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    const send = (response: unknown, name = 'Key', challengeId: string = answer.json.challengeId) =>
      postJson(person.browser, `${app.url}/account/passkeys`, { csrf, challengeId, name, response });
    return { json: answer.json, challenge: answer.json.options.challenge as string, challengeId: answer.json.challengeId as string, send };
  }

  /** Registers `key` for `person` with `attestation` options; the answer. */
  async function add(person: SignedInPerson, key: SoftKey, attestation: AttestationOptions = {}): Promise<JsonAnswer> {
    const ceremony = await options(person);
    return ceremony.send(key.attestation(ceremony.challenge, attestation));
  }

  const logOf = (answer: JsonAnswer, msg: string) => app.logs.find((line) => line.reqId === answer.headers.get('x-request-id') && line.msg === msg);
  const rows = (person: SignedInPerson) => app.store.passkeys.listForUser(person.user.id);

  it('names the person in the options by their name, or by their email address when they gave none (§5.4.3)', async () => {
    const named = await signedInPerson(app, await newPerson(app, 'named', 'Grace Hopper'));
    expect((await options(named)).json.options.user).toEqual({ id: b64u(Buffer.from(named.user.id)), name: named.user.email, displayName: 'Grace Hopper' });
    const user = await addUser(app, `unnamed.${process.pid}@example.com`, {});
    expect(user.name).toBeNull();
    const unnamed = await signedInPerson(app, user);
    expect((await options(unnamed)).json.options.user).toMatchObject({ name: user.email, displayName: user.email });
  });

  it('refuses an authenticator that did not verify the person (§7.1 step 15, UV flag not set): 400 not_accepted, nothing stored', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'nouv'));
    const refused = await add(person, new SoftKey(app.url, person.user.id), { flags: FLAGS.UP | FLAGS.AT });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('not_accepted');
    expect(logOf(refused, 'passkey registration refused')).toMatchObject({ detail: expect.stringMatching(/verif/) });
    expect(await rows(person)).toEqual([]);
  });

  it('refuses a "packed" self-attestation whose signature does not verify (§8.2), and takes one that does', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'packed'));
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = new SoftKey(app.url, person.user.id);
    const refused = await add(person, forged, { packed: forger });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('not_accepted');
    expect(logOf(refused, 'passkey registration refused')).toMatchObject({ detail: 'registration not verified' });
    expect(await rows(person)).toEqual([]);
    const genuine = new SoftKey(app.url, person.user.id);
    expect((await add(person, genuine, { packed: true })).status).toBe(201);
    expect((await rows(person)).map((row) => row.credentialId)).toEqual([genuine.id]);
  });

  it('stores only the transports WebAuthn defines, and none when the answer names none', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'transports'));
    const listed = new SoftKey(app.url, person.user.id);
    expect((await add(person, listed, { transports: ['usb', 'carrier-pigeon', 'nfc'] })).status).toBe(201);
    const silent = new SoftKey(app.url, person.user.id);
    expect((await add(person, silent, { transports: null })).status).toBe(201);
    const stored = Object.fromEntries((await rows(person)).map((row) => [row.credentialId, row.transports]));
    expect(stored).toEqual({ [listed.id]: ['usb', 'nfc'], [silent.id]: [] });
  });

  it('stores a synced passkey (flags BE and BS, §6.1.3) as multiDevice and backed up', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'synced'));
    const key = new SoftKey(app.url, person.user.id);
    const created = await add(person, key, { flags: FLAGS.UP | FLAGS.UV | FLAGS.BE | FLAGS.BS | FLAGS.AT });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(await rows(person)).toMatchObject([{ credentialId: key.id, deviceType: 'multiDevice', backedUp: true, counter: 0, createdAt: clock.now(), lastUsedAt: null }]);
  });

  it('refuses the same authenticator twice, sent past excludeCredentials: 409 duplicate, one row', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'twice'));
    const key = new SoftKey(app.url, person.user.id);
    expect((await add(person, key)).status).toBe(201);
    const again = await add(person, key);
    expect(again.status).toBe(409);
    expect(again.json.error).toBe('duplicate');
    expect(await rows(person)).toHaveLength(1);
  });

  it('leaves a store that fails to the one error handler: 500, not a duplicate', async () => {
    const person = await signedInPerson(app, await newPerson(app, 'failing'));
    const passkeys = app.store.passkeys;
    const create = passkeys.create;
    passkeys.create = async () => {
      throw new Error('disk I/O error');
    };
    try {
      const answer = await add(person, new SoftKey(app.url, person.user.id));
      expect(answer.status).toBe(500);
      expect(answer.json.error).not.toBe('duplicate');
    } finally {
      passkeys.create = create;
    }
  });

  it('binds the challenge to the session that asked: another session’s answer is refused as expired, and uses it up', async () => {
    const user = await newPerson(app, 'twosessions');
    const asker = await signedInPerson(app, user);
    const other = await signedInPerson(app, user, new Browser());
    const ceremony = await options(asker);
    const key = new SoftKey(app.url, user.id);
    const fromOther = await (await options(other)).send(key.attestation(ceremony.challenge), 'Key', ceremony.challengeId);
    expect(fromOther.status).toBe(400);
    expect(fromOther.json.error).toBe('expired');
    expect((await ceremony.send(key.attestation(ceremony.challenge))).json.error).toBe('expired');
    expect(await app.store.passkeys.listForUser(user.id)).toEqual([]);
  });

  it('binds the challenge to the person it was made for: another person with the same binding finds none', async () => {
    const ada = await newPerson(app, 'ada');
    const eve = await newPerson(app, 'eve');
    const ceremony = await registrationOptions(deps, ada, 'one-binding', []);
    const answer = registrationResponseSchema.parse(new SoftKey(app.url, eve.id).attestation(ceremony.options.challenge));
    expect(await registerPasskey(deps, eve, 'one-binding', ceremony.challengeId, answer, 'Key')).toEqual({ outcome: 'expired' });
    // Used up by that answer, as every challenge is by its first.
    expect(await registerPasskey(deps, ada, 'one-binding', ceremony.challengeId, answer, 'Key')).toEqual({ outcome: 'expired' });
    expect(await app.store.passkeys.listForUser(eve.id)).toEqual([]);
  });

  it('takes a sign-in challenge for a sign-in only, and the right binding only', async () => {
    const user = await newPerson(app, 'kinds');
    const key = new SoftKey(app.url, user.id);
    const registration = await registrationOptions(deps, user, 'binding', []);
    const created = await registerPasskey(deps, user, 'binding', registration.challengeId, registrationResponseSchema.parse(key.attestation(registration.options.challenge)), 'Key');
    expect(created.outcome).toBe('registered');
    const passkey = await app.store.passkeys.findById(key.id);
    const signIn = await signInOptions(deps, 'browser');
    const assertion = authenticationResponseSchema.parse(key.assertion(signIn.options.challenge));
    expect(await verifySignIn(deps, 'another browser', signIn.challengeId, assertion, passkey)).toEqual({ outcome: 'expired' });
    const again = await signInOptions(deps, 'browser');
    const verified = await verifySignIn(deps, 'browser', again.challengeId, authenticationResponseSchema.parse(key.assertion(again.options.challenge)), passkey);
    expect(verified).toMatchObject({ outcome: 'verified', passkey: { credentialId: key.id, counter: key.counter, lastUsedAt: clock.now() } });
  });
});
