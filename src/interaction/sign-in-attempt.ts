// One attempt to sign in with an email and a password, wherever the form is (the login page, later the MFA
// steps): throttled first, so that a refused attempt never reaches argon2, then checked, then audited. The
// answer a person sees depends only on the outcome, never on whether the account exists.
import type { Request } from 'express';
import { checkCredentials, MAX_CREDENTIAL_BYTES, type CredentialFailure } from '../auth/authenticate.js';
import { tryAgainIn, type Throttle, type ThrottledBy } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface SignInAttemptDependencies {
  store: Store;
  clock: Clock;
  throttle: Throttle;
}

export type SignInAttempt =
  | { outcome: 'signed_in'; user: UserRecord }
  | { outcome: 'refused' }
  /** Too many attempts: `message` says plainly when to try again; `retryAt` gives the Retry-After header. */
  | { outcome: 'throttled'; retryAt: number; message: string };

const THROTTLED_MESSAGE: Record<ThrottledBy, string> = {
  account: 'Too many failed sign-in attempts for this account.',
  address: 'Too many failed sign-in attempts from your network.',
};

export async function attemptSignIn(deps: SignInAttemptDependencies, req: Request, email: string, password: string, clientId: string | null): Promise<SignInAttempt> {
  const admission = await deps.throttle.admit('signin', email, req.ip);
  if (!admission.allowed) {
    await auditThrottled(deps, req, email, admission.by, admission.retryAt, clientId);
    req.log.info({ client: clientId, by: admission.by }, 'sign-in throttled');
    return { outcome: 'throttled', retryAt: admission.retryAt, message: `${THROTTLED_MESSAGE[admission.by]} Try again ${tryAgainIn(admission.retryAt, deps.clock.now())}.` };
  }
  const check = await checkCredentials(deps.store, deps.clock, email, password);
  if (!check.user) {
    req.log.info({ client: clientId }, 'sign-in refused');
    await auditFailure(deps, req, check.reason, check.userId, clientId);
    return { outcome: 'refused' };
  }
  await deps.throttle.succeeded(admission);
  return { outcome: 'signed_in', user: check.user };
}

async function auditFailure(deps: SignInAttemptDependencies, req: Request, reason: CredentialFailure, userId: string | null, clientId: string | null): Promise<void> {
  await deps.store.audit.append({
    at: deps.clock.now(), type: 'signin.failed', actor: 'anonymous', subject: userId, clientId, ip: req.ip ?? null, outcome: 'failure', details: { reason },
  });
}

/** The account's owner sees it among their security events; an address with no account is recorded without one. */
async function auditThrottled(deps: SignInAttemptDependencies, req: Request, email: string, by: ThrottledBy, retryAt: number, clientId: string | null): Promise<void> {
  const user = email.trim() && Buffer.byteLength(email) <= MAX_CREDENTIAL_BYTES ? await deps.store.users.findByEmail(email) : null;
  await deps.store.audit.append({
    at: deps.clock.now(), type: 'signin.throttled', actor: 'anonymous', subject: user?.id ?? null, clientId, ip: req.ip ?? null, outcome: 'failure',
    details: { by, retry_at: new Date(retryAt).toISOString() },
  });
}

export async function auditSignIn(deps: SignInAttemptDependencies, req: Request, user: UserRecord, clientId: string | null, sid: string): Promise<void> {
  await deps.store.audit.append({ at: deps.clock.now(), type: 'signin.succeeded', actor: user.id, subject: user.id, clientId, ip: req.ip ?? null, details: { sid, amr: ['pwd'] } });
}
