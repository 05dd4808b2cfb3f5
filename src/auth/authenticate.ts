// Checks an email and password. Every failure (unknown email, wrong password, disabled account, an account with
// no password of its own) takes the same path and about the same time, so the answer never reveals whether an
// account exists.
import argon2 from 'argon2';
import type { Clock } from '../clock.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { canonicalArgon2, isCanonicalArgon2 } from './phc.js';
import { ARGON2_OPTIONS, hashPassword, verifyPassword, verifyPasswordGated, type HashingGate } from './password-hash.js';
import { randomSecret } from './secrets.js';

/** Longer input is refused before any hashing: no one's email or password is this long (4 KiB). */
export const MAX_CREDENTIAL_BYTES = 4096;

let dummyHash: Promise<string> | undefined;

/** A hash of a random password with the current parameters, verified when the email is unknown. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(randomSecret());
  return dummyHash;
}

/**
 * The hashing slot of a password check made elsewhere (a directory's bind, src/federation/directory-sign-in.ts):
 * the gate asked again once the turn has come and one verification of the dummy hash, exactly what an unknown
 * email costs, so that throttling and timing are those of a password. False when the gate refused it. The dummy
 * never matches, and the mismatch is not counted here: the caller counts the outcome it learns afterwards.
 */
export async function takeHashingSlot(password: string, gate: HashingGate): Promise<boolean> {
  const uncounted: HashingGate = { admit: () => gate.admit(), mismatched: () => Promise.resolve() };
  return (await verifyPasswordGated(await dummy(), password, uncounted)) !== 'refused';
}

/**
 * Why a sign-in failed, for the audit log only: the person is told the same thing whatever the reason, except
 * `throttled` (the gate refused it in the hashing slot), which says when to try again.
 */
export type CredentialFailure = 'unknown_account' | 'wrong_password' | 'account_disabled' | 'input_too_long' | 'throttled';

export type CredentialCheck = { user: UserRecord } | { user: null; reason: CredentialFailure; userId: string | null };

/**
 * With a gate (the throttle), the hash is checked only if the gate admits it once the hashing slot is ours.
 * `account`: the account of `email` when the caller has read it already (sign-in-attempt.ts reads it once to ask
 * whether a directory decides), so that a sign-in reads it once; absent, it is looked up here.
 */
export async function checkCredentials(store: Store, clock: Clock, email: string, password: string, gate?: HashingGate, account?: UserRecord | null): Promise<CredentialCheck> {
  if (Buffer.byteLength(email) > MAX_CREDENTIAL_BYTES || Buffer.byteLength(password) > MAX_CREDENTIAL_BYTES) {
    return { user: null, reason: 'input_too_long', userId: null };
  }
  // Stryker disable next-line MethodExpression: equivalent; findByEmail trims too, and a blank address names no account (emails are checked when set)
  const user = account !== undefined ? account : email.trim() ? await store.users.findByEmail(email) : null;
  // The password is used exactly as typed: no trimming, no case folding (only NFKC, as when it was set).
  // An account made at a federated sign-in has no password of its own (issue 23, UserRecord.hasPassword): nothing
  // typed ever opens it, yet it costs the same verification as any other, of the dummy hash (which never matches).
  const usable = user?.hasPassword === true;
  const hash = usable ? user.passwordHash : await dummy();
  const verdict = gate ? await verifyPasswordGated(hash, password, gate) : (await verifyPassword(hash, password)) ? 'match' : 'mismatch';
  if (verdict === 'refused') return { user: null, reason: 'throttled', userId: user?.id ?? null };
  const matches = verdict === 'match' && usable;
  if (!user) return { user: null, reason: 'unknown_account', userId: null };
  if (!matches) return { user: null, reason: 'wrong_password', userId: user.id };
  if (user.disabled) return { user: null, reason: 'account_disabled', userId: user.id };
  const weaker = argon2.needsRehash(user.passwordHash, ARGON2_OPTIONS);
  if (weaker || !isCanonicalArgon2(user.passwordHash)) {
    // A hash made with weaker parameters is upgraded while we hold the password; one in the old parameter order
    // (m,p,t) is only put in canonical order, same salt and digest (src/auth/phc.ts). The same password: the
    // account's mailed links stay (UserUpdateOptions.rehash), and a password changed meanwhile stays changed.
    const passwordHash = weaker ? await hashPassword(password) : canonicalArgon2(user.passwordHash);
    const options = { rehash: true, onlyIfPasswordHash: user.passwordHash };
    return { user: (await store.users.update(user.id, { passwordHash }, clock.now(), options)) ?? user };
  }
  return { user };
}

export async function verifyCredentials(store: Store, clock: Clock, email: string, password: string): Promise<UserRecord | null> {
  return (await checkCredentials(store, clock, email, password)).user;
}
