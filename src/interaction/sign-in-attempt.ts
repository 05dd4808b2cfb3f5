// One attempt to sign in with an email and a password, wherever the form is (the login page, later the MFA
// steps): throttled on arrival and again when its turn to hash comes, so that a refused attempt never reaches
// argon2; then checked, counted if it failed, and audited. The answer a person sees depends only on the
// outcome, never on whether the account exists.
// A directory person's password (issue 23) is checked by their directory instead (src/federation/directory-
// sign-in.ts), under the same gate, counted and audited the same way.
// The messages are in the page's language (issue 25: src/i18n/page-locale.ts).
import type { Request } from 'express';
import { checkCredentials, MAX_CREDENTIAL_BYTES } from '../auth/authenticate.js';
import type { SecretBox } from '../auth/secret-box.js';
import { type Refusal, type Throttle, type ThrottleGate, type ThrottledBy } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import { directorySignIn, type DirectoryAttempt } from '../federation/directory-sign-in.js';
import type { Federation } from '../federation/federation.js';
import type { Translate } from '../i18n/catalog.js';
import { localeOf, type PageLocale } from '../i18n/page-locale.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { retryWhen } from './retry-time.js';
import { auditFailure } from './sign-in-audit.js';

export interface SignInAttemptDependencies {
  store: Store;
  clock: Clock;
  throttle: Throttle;
  /** The directories (LDAP) that check their people's passwords. */
  federation: Federation;
  secretBox: () => Promise<SecretBox>;
}

export type SignInAttempt =
  /** `idp`: the directory's slug when a directory checked the password (the session's `idp`); null for a local password. */
  | { outcome: 'signed_in'; user: UserRecord; idp: string | null }
  | { outcome: 'refused' }
  /** Too many attempts: `message` says plainly when to try again; `retryAt` gives the Retry-After header. */
  | { outcome: 'throttled'; retryAt: number; message: string }
  /** The person's directory did not answer (503): `message` names it and says to try again later. No local fallback. */
  | { outcome: 'unavailable'; message: string };

/**
 * "Try again in 45 seconds.", "… in 2 minutes.", "… in 1 hour.": when to try again, in words a person reads at a
 * glance, in the page's language (src/interaction/retry-time.ts: the rounding of src/auth/throttle.ts tryAgainIn,
 * which the logs and CLI keep, said by Intl).
 */
export function tryAgainText(locale: Pick<PageLocale, 't' | 'language'>, retryAt: number, now: number): string {
  return locale.t('login.tryAgain', { when: retryWhen(locale.language, retryAt, now) });
}

function throttledMessage(t: Translate, by: ThrottledBy, tryAgain: string): string {
  return by === 'account' ? t('login.throttledAccount', { tryAgain }) : t('login.throttledAddress', { tryAgain });
}

export async function attemptSignIn(deps: SignInAttemptDependencies, req: Request, email: string, password: string, clientId: string | null): Promise<SignInAttempt> {
  const gate = await deps.throttle.gate('signin', email, req.ip);
  // Read into a constant: gate.refusal itself changes while the password waits for its turn to hash (gate.admit).
  const onArrival = gate.refusal;
  if (onArrival) return throttled(deps, req, email, onArrival, clientId);
  const account = await accountOf(deps, email);
  const directory = await directorySignIn(deps, req, email, password, gate, account);
  if (directory.outcome !== 'local') return directoryOutcome(deps, req, email, gate, directory, clientId);
  const check = await checkCredentials(deps.store, deps.clock, email, password, gate, account);
  if (check.user) {
    await gate.succeeded();
    return { outcome: 'signed_in', user: check.user, idp: null };
  }
  // Refused once its turn to hash came: the failures before it in line reached the limit.
  // Stryker disable next-line LogicalOperator: equivalent; gate.refusal is set exactly when the gate refused in the hashing slot, which is when the reason is 'throttled'
  if (check.reason === 'throttled' && gate.refusal) return throttled(deps, req, email, gate.refusal, clientId);
  // A wrong password (or an unknown account's dummy hash) was counted in the hashing slot; the rest count here.
  if (check.reason === 'account_disabled' || check.reason === 'input_too_long') await gate.failed();
  // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only; the refusal itself is audited below
  req.log.info({ client: clientId }, 'sign-in refused');
  await auditFailure(deps, req, check.reason, check.userId, clientId);
  // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent; the caller (login.ts) treats every outcome but signed_in and throttled as refused
  return { outcome: 'refused' };
}

/** The account of the email typed, if any (nothing looked up for a blank or oversized one). */
async function accountOf(deps: SignInAttemptDependencies, email: string): Promise<UserRecord | null> {
  // Stryker disable next-line MethodExpression: equivalent; findByEmail trims too, and no account has a blank email
  return email.trim() && Buffer.byteLength(email) <= MAX_CREDENTIAL_BYTES ? deps.store.users.findByEmail(email) : null;
}

/** A directory's answer: counted on the gate and audited exactly as a local password's would be. */
async function directoryOutcome(
  deps: SignInAttemptDependencies,
  req: Request,
  email: string,
  gate: ThrottleGate,
  attempt: Exclude<DirectoryAttempt, { outcome: 'local' }>,
  clientId: string | null,
): Promise<SignInAttempt> {
  switch (attempt.outcome) {
    case 'signed_in':
      await gate.succeeded();
      return { outcome: 'signed_in', user: attempt.user, idp: attempt.provider.slug };
    case 'throttled':
      // Stryker disable next-line LogicalOperator: equivalent; takeHashingSlot refuses exactly when the gate sets its refusal
      return gate.refusal ? throttled(deps, req, email, gate.refusal, clientId) : { outcome: 'refused' };
    case 'unavailable':
      // Not the person's failure: nothing counted. Recorded, so an administrator sees the directory's outage.
      req.log.warn({ client: clientId, provider: attempt.provider.slug }, 'sign-in unavailable: the directory did not answer');
      await auditFailure(deps, req, 'directory_unavailable', attempt.userId, clientId, { provider: attempt.provider.slug });
      return { outcome: 'unavailable', message: localeOf(req).t('login.directoryUnavailable', { provider: attempt.provider.name }) };
    case 'refused':
      await gate.failed();
      // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only; the refusal itself is audited below
      req.log.info({ client: clientId, provider: attempt.provider }, 'sign-in refused');
      await auditFailure(deps, req, attempt.reason, attempt.userId, clientId, attempt.provider === null ? {} : { provider: attempt.provider });
      return { outcome: 'refused' };
  }
}

async function throttled(deps: SignInAttemptDependencies, req: Request, email: string, { by, retryAt }: Refusal, clientId: string | null): Promise<SignInAttempt> {
  // Bounded per address (Throttle.mayAuditRefusal): a blocked guesser cannot grow the audit log without end.
  // Stryker disable next-line StringLiteral: equivalent; the scope only names this budget's counter, and no other counter is named ''
  if (await deps.throttle.mayAuditRefusal('signin_refusal_audit', req.ip)) await auditThrottled(deps, req, email, by, retryAt, clientId);
  // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only; the refusal is audited above (within its budget)
  req.log.info({ client: clientId, by }, 'sign-in throttled');
  const { t } = localeOf(req);
  return { outcome: 'throttled', retryAt, message: throttledMessage(t, by, tryAgainText(localeOf(req), retryAt, deps.clock.now())) };
}

/** The account's owner sees it among their security events; an address with no account is recorded without one. */
async function auditThrottled(deps: SignInAttemptDependencies, req: Request, email: string, by: ThrottledBy, retryAt: number, clientId: string | null): Promise<void> {
  const user = await accountOf(deps, email);
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'signin.throttled',
    actor: 'anonymous',
    subject: user?.id ?? null,
    clientId,
    ip: req.ip ?? null,
    outcome: 'failure',
    details: { by, retry_at: new Date(retryAt).toISOString() },
  });
}
