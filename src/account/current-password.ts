// The current password, asked again before the account's address or password changes (OWASP ASVS V2.1.5 /
// V3.7.1): whoever holds a left-open session must still know the password. And the current second factor,
// asked again before a factor goes or the recovery codes are replaced (checkCurrentFactor). Each check is throttled exactly like
// a sign-in, on the same counters (the account's email and the address): a stolen session is no way around the
// sign-in throttle, and a refused check never reaches argon2.
import type { Request } from 'express';
import { checkSecondFactor, hasSecondFactor } from '../auth/second-factor.js';
import { checkPasswordThrottled, type ThrottledBy } from '../auth/throttle.js';
import type { Translate } from '../i18n/catalog.js';
import { localeOf } from '../i18n/page-locale.js';
import { retryWhen } from '../interaction/retry-time.js';
import type { SessionRecord, UserRecord } from '../store/records.js';
import type { AccountDependencies } from './context.js';

export type PasswordCheck =
  | { outcome: 'confirmed' }
  /** `message` goes next to the field. */
  | { outcome: 'wrong'; message: string }
  /** Too many failures: `retryAt` gives the Retry-After header, `message` says plainly when to try again. */
  | { outcome: 'throttled'; retryAt: number; message: string };

const THROTTLED_MESSAGE: Record<ThrottledBy, (t: Translate, when: string) => string> = {
  account: (t, when) => t('account.errors.passwordsThrottledAccount', { when }),
  address: (t, when) => t('account.errors.passwordsThrottledAddress', { when }),
};

/** What the account page calls the check in the audit log (`account.password_check_failed`, `…_throttled`). */
const AUDIT_PREFIX = 'account.password_check';

export async function checkCurrentPassword(deps: AccountDependencies, req: Request, user: UserRecord, password: string): Promise<PasswordCheck> {
  const { t, language } = localeOf(req);
  // Nothing typed is no guess: it is not counted, and costs no argon2.
  if (password === '') return { outcome: 'wrong', message: t('account.errors.currentPasswordMissing') };
  const check = await checkPasswordThrottled(deps.throttle, user.email, req.ip, user.passwordHash, password);
  const now = deps.clock.now();
  if (check.outcome === 'throttled') {
    const { by, retryAt } = check.refusal;
    await deps.store.audit.append({
      at: now,
      type: `${AUDIT_PREFIX}_throttled`,
      actor: user.id,
      subject: user.id,
      ip: req.ip ?? null,
      outcome: 'failure',
      details: { by, retry_at: new Date(retryAt).toISOString() },
    });
    req.log.info({ by }, 'account password check throttled');
    return { outcome: 'throttled', retryAt, message: THROTTLED_MESSAGE[by](t, retryWhen(language, retryAt, now)) };
  }
  if (check.outcome === 'mismatch') {
    // Counted as a failure on the sign-in counters by checkPasswordThrottled.
    await deps.store.audit.append({ at: now, type: `${AUDIT_PREFIX}_failed`, actor: user.id, subject: user.id, ip: req.ip ?? null, outcome: 'failure', details: {} });
    return { outcome: 'wrong', message: t('account.errors.currentPasswordWrong') };
  }
  return { outcome: 'confirmed' };
}

/**
 * How long a sign-in with two factors stands in for a code on the account page. The same window as the admin
 * screens' recent sign-in (src/admin/recent-sign-in.ts): long enough to sign in and then tidy one's factors,
 * short enough that a session left open on a shared computer soon needs the factor again.
 */
export const RECENT_MULTI_FACTOR_MS = 15 * 60 * 1000;

/** Whether this session's sign-in was itself multi-factor (RFC 8176 `mfa`: a code or a passkey) within the window. */
export function recentMultiFactor(session: Pick<SessionRecord, 'amr' | 'authTime'>, now: number): boolean {
  return session.amr.includes('mfa') && now - session.authTime < RECENT_MULTI_FACTOR_MS;
}

export type FactorCheck = PasswordCheck;

/**
 * The current second factor, asked before one is removed or the recovery codes are replaced (NIST SP 800-63B-4,
 * authenticator events: changing an account's authenticators takes authentication at the level they give). Either
 * a code from the authenticator app or a recovery code, checked and throttled as at sign-in (a TOTP step or a
 * recovery code is used up), or a session whose own sign-in had two factors in the last 15 minutes (the only way
 * for a person whose factors are passkeys, which no form field can carry). With the password, which the forms
 * still ask first, a stolen session and a known password are not enough.
 */
export async function checkCurrentFactor(deps: AccountDependencies, req: Request, user: UserRecord, session: SessionRecord, code: string): Promise<FactorCheck> {
  const now = deps.clock.now();
  if (recentMultiFactor(session, now)) return { outcome: 'confirmed' };
  const { t, language } = localeOf(req);
  if (!(await hasSecondFactor(deps.store, user.id))) return { outcome: 'wrong', message: t('account.errors.passkeySignInNeeded') };
  if (code.trim() === '') return { outcome: 'wrong', message: t('account.errors.codeMissing') };
  const check = await checkSecondFactor(deps, user, code, req.ip);
  if (check.outcome === 'accepted') return { outcome: 'confirmed' };
  if (check.outcome === 'throttled') {
    req.log.info({ by: check.refusal.by }, 'account second-factor check throttled');
    return { outcome: 'throttled', retryAt: check.refusal.retryAt, message: t('account.errors.codesThrottled', { when: retryWhen(language, check.refusal.retryAt, now) }) };
  }
  await deps.store.audit.append({ at: now, type: 'account.second_factor_check_failed', actor: user.id, subject: user.id, ip: req.ip ?? null, outcome: 'failure', details: {} });
  return { outcome: 'wrong', message: t('account.errors.codeWrong') };
}
