// The current password, asked again before the account's address or password changes (OWASP ASVS V2.1.5 /
// V3.7.1): whoever holds a left-open session must still know the password. Each check is throttled exactly like
// a sign-in, on the same counters (the account's email and the address): a stolen session is no way around the
// sign-in throttle, and a refused check never reaches argon2.
import type { Request } from 'express';
import { checkPasswordThrottled, tryAgainIn, type ThrottledBy } from '../auth/throttle.js';
import type { UserRecord } from '../store/records.js';
import type { AccountDependencies } from './context.js';

export type PasswordCheck =
  | { outcome: 'confirmed' }
  /** `message` goes next to the field. */
  | { outcome: 'wrong'; message: string }
  /** Too many failures: `retryAt` gives the Retry-After header, `message` says plainly when to try again. */
  | { outcome: 'throttled'; retryAt: number; message: string };

const THROTTLED_MESSAGE: Record<ThrottledBy, string> = {
  account: 'Too many wrong passwords for this account.',
  address: 'Too many wrong passwords from your network.',
};

/** What the account page calls the check in the audit log (`account.password_check_failed`, `…_throttled`). */
const AUDIT_PREFIX = 'account.password_check';

export async function checkCurrentPassword(deps: AccountDependencies, req: Request, user: UserRecord, password: string): Promise<PasswordCheck> {
  // Nothing typed is no guess: it is not counted, and costs no argon2.
  if (password === '') return { outcome: 'wrong', message: 'Enter your current password.' };
  const check = await checkPasswordThrottled(deps.throttle, user.email, req.ip, user.passwordHash, password);
  const now = deps.clock.now();
  if (check.outcome === 'throttled') {
    const { by, retryAt } = check.refusal;
    await deps.store.audit.append({
      at: now, type: `${AUDIT_PREFIX}_throttled`, actor: user.id, subject: user.id, ip: req.ip ?? null, outcome: 'failure',
      details: { by, retry_at: new Date(retryAt).toISOString() },
    });
    req.log.info({ by }, 'account password check throttled');
    return { outcome: 'throttled', retryAt, message: `${THROTTLED_MESSAGE[by]} Try again ${tryAgainIn(retryAt, now)}.` };
  }
  if (check.outcome === 'mismatch') {
    // Counted as a failure on the sign-in counters by checkPasswordThrottled.
    await deps.store.audit.append({ at: now, type: `${AUDIT_PREFIX}_failed`, actor: user.id, subject: user.id, ip: req.ip ?? null, outcome: 'failure', details: {} });
    return { outcome: 'wrong', message: 'That is not your current password.' };
  }
  return { outcome: 'confirmed' };
}
