// The second step of a sign-in: a TOTP code (RFC 6238) or a single-use recovery code, throttled like a
// password (NIST SP 800-63B §5.2.2: the same limits apply to every authenticator). A TOTP code is accepted
// within one step either side of now, and never twice: the store accepts each time step once. A recovery code is
// looked up in its keyed form, then in the legacy one (src/auth/recovery-codes.ts), and used up either way.
import type { Clock } from '../clock.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { looksLikeRecoveryCode, recoveryCodeCandidates } from './recovery-codes.js';
import type { SecretBox } from './secret-box.js';
import type { Refusal, Throttle } from './throttle.js';
import { matchTotp, totpSecretAad } from './totp.js';

export interface SecondFactorDependencies {
  store: Store;
  clock: Clock;
  throttle: Throttle;
  secretBox: () => Promise<SecretBox>;
}

export type SecondFactorMethod = 'totp' | 'recovery_code';

export type SecondFactorCheck = { outcome: 'accepted'; method: SecondFactorMethod } | { outcome: 'refused' } | { outcome: 'throttled'; refusal: Refusal };

/** Whether the person has a second factor that signs them in (a confirmed authenticator). */
export async function hasSecondFactor(store: Store, userId: string): Promise<boolean> {
  const totp = await store.totp.find(userId);
  return totp !== null && totp.confirmedAt !== null;
}

/** The authenticators a person holds besides the password: a confirmed authenticator app, and passkeys. */
export interface HeldFactors {
  totp: boolean;
  passkeys: number;
}

export async function heldFactors(store: Store, userId: string): Promise<HeldFactors> {
  const [totp, passkeys] = await Promise.all([hasSecondFactor(store, userId), store.passkeys.listForUser(userId)]);
  return { totp, passkeys: passkeys.length };
}

/** Checks a code typed at the second step: six digits are a TOTP code, anything else a recovery code. */
export async function checkSecondFactor(deps: SecondFactorDependencies, user: UserRecord, code: string, ip: string | undefined): Promise<SecondFactorCheck> {
  const gate = await deps.throttle.gate('second_factor', user.email, ip);
  if (gate.refusal) return { outcome: 'throttled', refusal: gate.refusal };
  const method = await verify(deps, user.id, code);
  if (!method) {
    await gate.failed();
    return { outcome: 'refused' };
  }
  await gate.succeeded();
  return { outcome: 'accepted', method };
}

async function verify(deps: SecondFactorDependencies, userId: string, code: string): Promise<SecondFactorMethod | null> {
  const digits = code.replace(/\s+/g, '');
  if (/^\d{6}$/.test(digits)) {
    const credential = await deps.store.totp.find(userId);
    if (!credential || credential.confirmedAt === null) return null;
    const secret = (await deps.secretBox()).open(credential.sealedSecret, totpSecretAad(userId));
    const step = matchTotp(secret, digits, deps.clock.now());
    return step !== null && (await deps.store.totp.useStep(userId, step)) ? 'totp' : null;
  }
  // Only input shaped like a recovery code is worth a lookup.
  if (!looksLikeRecoveryCode(code)) return null;
  const box = await deps.secretBox();
  for (const hash of recoveryCodeCandidates(box, userId, code)) {
    if (await deps.store.recoveryCodes.consume(userId, hash, deps.clock.now())) return 'recovery_code';
  }
  return null;
}
