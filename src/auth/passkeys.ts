// Passkeys (WebAuthn Level 2) as a password replacement (issue 10), with no HTTP in sight: the options a
// browser passes to navigator.credentials, and the checks of what the authenticator answers. Each ceremony's
// challenge lives in the store (sign-in challenges), bound to who started it (a browser cookie or a session, as
// a hash), for five minutes, and is used up by the first answer: a replayed answer finds no challenge.
import type { AuthenticatorTransportFuture, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { codePointLength } from '../code-points.js';
import type { Config } from '../config.js';
import { ConflictError } from '../errors.js';
import type { NewPasskey, PasskeyRecord, SignInChallengePurpose, SignInChallengeRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { constantTimeEqual, hashSecret, randomSecret } from './secrets.js';

export interface PasskeyDependencies {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'issuer'>;
}

/** Long enough to find a security key; short enough that an unanswered challenge soon stops mattering. */
export const PASSKEY_CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;
/** Bounds the list the browser is sent (excludeCredentials) and what one account can fill the table with. */
export const MAX_PASSKEYS = 20;
export const DEFAULT_PASSKEY_NAME = 'Passkey';
export const MAX_PASSKEY_NAME_LENGTH = 60;
/** Loaded on first use (its own chunk in the bundle): a server whose people never use passkeys never parses it. */
const webauthn = () => import('@simplewebauthn/server');
/** COSE algorithms (RFC 9053 / IANA): ES256 and RS256, what platform authenticators and security keys use. */
const ALGORITHMS = [-7, -257];
const TRANSPORTS = new Set<string>(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

/**
 * The relying party is the issuer: its host name is the RP ID, its origin the only origin accepted. WebAuthn
 * refuses IP addresses as RP IDs, and needs a secure context (https, or http://localhost).
 */
export function relyingParty(issuer: string): { id: string; origin: string } {
  const url = new URL(issuer);
  return { id: url.hostname, origin: url.origin };
}

/** What the browser needs to run a ceremony, and the id that names its challenge when the answer comes back. */
export interface Ceremony<Options> {
  challengeId: string;
  options: Options;
}

export type RegistrationResult = { outcome: 'registered'; passkey: NewPasskey } | { outcome: 'expired' } | { outcome: 'duplicate' } | { outcome: 'refused'; detail: string };
export type SignInResult = { outcome: 'verified'; passkey: PasskeyRecord } | { outcome: 'expired' } | { outcome: 'refused'; detail: string };

const base64url = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]*$/);
const credentialId = base64url.min(1).max(1366);
const extensions = z.record(z.string(), z.unknown()).default({});
const attachment = z.enum(['platform', 'cross-platform']).optional();

/** The JSON form of a registration answer (what startRegistration() returns), bounded before the library reads it. */
export const registrationResponseSchema = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    authenticatorData: base64url.optional(),
    transports: z.array(z.string().max(32)).max(10).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url.optional(),
  }),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensions,
});

/** The JSON form of a sign-in answer (what startAuthentication() returns). */
export const authenticationResponseSchema = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensions,
});

export type RegistrationAnswer = z.output<typeof registrationResponseSchema>;
export type SignInAnswer = z.output<typeof authenticationResponseSchema>;

/** The name a person gives a passkey, trimmed: "Passkey" when empty, null when too long or not plain text. */
export function passkeyName(raw: string): string | null {
  const name = raw.trim();
  if (name === '') return DEFAULT_PASSKEY_NAME;
  if (codePointLength(name) > MAX_PASSKEY_NAME_LENGTH || /\p{Cc}/u.test(name)) return null;
  return name;
}

/**
 * RFC 8176 §2: `hwk` for a key bound to its device, `swk` for a synced (multi-device) passkey, which lives in
 * software across the person's devices; `mfa` because the authenticator verified the person too (PIN or
 * biometric, required by every ceremony here) on top of the possession of the key.
 */
export function passkeyAmr(passkey: Pick<PasskeyRecord, 'deviceType'>): string[] {
  return [passkey.deviceType === 'multiDevice' ? 'swk' : 'hwk', 'mfa'];
}

/** The user handle (WebAuthn user.id) of a person: the bytes of our user id. */
function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  // Stryker disable next-line StringLiteral: Buffer.from reads an empty encoding as UTF-8, its default
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

async function startCeremony(deps: PasskeyDependencies, purpose: SignInChallengePurpose, binding: string, userId: string | null, challenge: string): Promise<string> {
  const id = randomSecret();
  const now = deps.clock.now();
  await deps.store.signInChallenges.create({ idHash: hashSecret(id), purpose, browserHash: binding, userId, value: challenge, createdAt: now, expiresAt: now + PASSKEY_CHALLENGE_LIFETIME_MS });
  return id;
}

/** Uses up the challenge `id` (one answer per challenge, whatever it is); null unless live, of `purpose`, and started by `binding` for `userId`. */
async function takeChallenge(deps: PasskeyDependencies, purpose: SignInChallengePurpose, id: string, binding: string, userId: string | null): Promise<SignInChallengeRecord | null> {
  if (!id || id.length > 128) return null;
  const challenge = await deps.store.signInChallenges.consume(hashSecret(id), purpose, deps.clock.now());
  if (!challenge || !constantTimeEqual(challenge.browserHash, binding) || challenge.userId !== userId) return null;
  return challenge;
}

function failure(error: unknown): { outcome: 'refused'; detail: string } {
  // Stryker disable next-line ConditionalExpression: the detail only reaches the log; the library throws Error objects, whose String() names the message too
  return { outcome: 'refused', detail: error instanceof Error ? error.message : String(error) };
}

/** Options to create a discoverable passkey for `user`, who proved who they are moments ago; `binding` is the session's hash. */
export async function registrationOptions(deps: PasskeyDependencies, user: UserRecord, binding: string, existing: PasskeyRecord[]): Promise<Ceremony<PublicKeyCredentialCreationOptionsJSON>> {
  const rp = relyingParty(deps.config.issuer);
  const options = await (
    await webauthn()
  ).generateRegistrationOptions({
    rpName: 'Gatehouse',
    rpID: rp.id,
    userID: userHandle(user.id),
    userName: user.email,
    userDisplayName: user.name ?? user.email,
    timeout: PASSKEY_CHALLENGE_LIFETIME_MS,
    attestationType: 'none',
    // The same authenticator twice would be one key under two names.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports as AuthenticatorTransportFuture[] })),
    // A passkey signs in without an email typed first, so it must live on the authenticator (discoverable).
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  return { challengeId: await startCeremony(deps, 'passkey_registration', binding, user.id, options.challenge), options };
}

/** Checks a registration answer against its challenge; the passkey is stored under `name` when it holds. */
export async function registerPasskey(deps: PasskeyDependencies, user: UserRecord, binding: string, challengeId: string, answer: RegistrationAnswer, name: string): Promise<RegistrationResult> {
  const challenge = await takeChallenge(deps, 'passkey_registration', challengeId, binding, user.id);
  if (!challenge) return { outcome: 'expired' };
  const rp = relyingParty(deps.config.issuer);
  let info;
  try {
    const verification = await (
      await webauthn()
    ).verifyRegistrationResponse({
      response: answer as RegistrationResponseJSON,
      expectedChallenge: challenge.value,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!verification.verified) return { outcome: 'refused', detail: 'registration not verified' };
    info = verification.registrationInfo;
  } catch (error) {
    return failure(error);
  }
  const passkey: NewPasskey = {
    credentialId: info.credential.id,
    userId: user.id,
    name,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    // Stryker disable next-line ArrayDeclaration: an entry in the empty list that stands for none would be filtered out as unknown
    transports: (answer.response.transports ?? []).filter((transport) => TRANSPORTS.has(transport)),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    createdAt: deps.clock.now(),
  };
  try {
    await deps.store.passkeys.create(passkey);
  } catch (error) {
    if (error instanceof ConflictError) return { outcome: 'duplicate' };
    throw error;
  }
  return { outcome: 'registered', passkey };
}

/**
 * Options to sign in with any passkey of this site (no allowCredentials: the authenticator offers its own);
 * `binding` is the browser cookie's hash. Anyone may ask, and each answer stores a challenge: the route admits
 * the request per client address first (src/interaction/passkey-sign-in.ts).
 */
export async function signInOptions(deps: PasskeyDependencies, binding: string): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
  const options = await (await webauthn()).generateAuthenticationOptions({ rpID: relyingParty(deps.config.issuer).id, userVerification: 'required', timeout: PASSKEY_CHALLENGE_LIFETIME_MS });
  return { challengeId: await startCeremony(deps, 'passkey_sign_in', binding, null, options.challenge), options };
}

/**
 * Checks a sign-in answer: its challenge (used up here), the passkey it names (`passkey`, looked up by the
 * caller, who throttles by its owner), the signature, user verification, and the signature counter: one that
 * does not grow, when the authenticator keeps one, means a copy of the key is in use somewhere (WebAuthn §6.1.1).
 */
export async function verifySignIn(deps: PasskeyDependencies, binding: string, challengeId: string, answer: SignInAnswer, passkey: PasskeyRecord | null): Promise<SignInResult> {
  const challenge = await takeChallenge(deps, 'passkey_sign_in', challengeId, binding, null);
  if (!challenge) return { outcome: 'expired' };
  if (!passkey) return { outcome: 'refused', detail: 'unknown credential' };
  // The authenticator names the account the key belongs to; it must be the passkey's owner.
  const handle = answer.response.userHandle;
  if (handle !== undefined && !constantTimeEqual(handle, Buffer.from(userHandle(passkey.userId)).toString('base64url'))) return { outcome: 'refused', detail: 'user handle does not match' };
  const rp = relyingParty(deps.config.issuer);
  let info;
  try {
    const verification = await (
      await webauthn()
    ).verifyAuthenticationResponse({
      response: answer,
      expectedChallenge: challenge.value,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
        counter: passkey.counter,
        transports: passkey.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: true,
    });
    if (!verification.verified) return { outcome: 'refused', detail: 'signature not verified' };
    info = verification.authenticationInfo;
  } catch (error) {
    return failure(error);
  }
  // Stryker disable next-line ObjectLiteral,StringLiteral: never reached: verifyAuthenticationResponse (@simplewebauthn/server 13) refuses such a counter first
  if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) return { outcome: 'refused', detail: 'signature counter did not increase: cloned authenticator?' };
  const now = deps.clock.now();
  await deps.store.passkeys.recordUse(passkey.credentialId, info.newCounter, now);
  return { outcome: 'verified', passkey: { ...passkey, counter: info.newCounter, lastUsedAt: now } };
}
