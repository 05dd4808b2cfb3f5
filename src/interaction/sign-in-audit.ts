// The audit records of a sign-in's steps: a refused step (the person stays anonymous), a breached password met
// at sign-in, a refusal by an application's access rule, and the sign-in itself with its session and `amr`.
import type { Request } from 'express';
import type { CredentialFailure } from '../auth/authenticate.js';
import type { Clock } from '../clock.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

interface AuditDependencies {
  store: Store;
  clock: Clock;
}

/**
 * Why a directory (LDAP) sign-in failed (issue 23, src/federation/directory-sign-in.ts): its entry's password was
 * wrong, the entry is locked, the person's directory is disabled here (fail closed), the account was refused by the
 * linking rules, or the directory did not answer.
 */
export type DirectoryFailure = 'wrong_password' | 'account_locked' | 'unknown_account' | 'account_disabled' | 'provider_disabled' | 'account_refused' | 'directory_unavailable';

/**
 * A refused sign-in step (a password, a second-factor code, a passkey; or a request asking for a second factor
 * the person does not have), with why; the person stays anonymous. `details` adds to the reason (a directory
 * sign-in's `provider`).
 */
export async function auditFailure(
  deps: AuditDependencies,
  req: Request,
  reason: CredentialFailure | DirectoryFailure | 'wrong_second_factor' | 'passkey_refused' | 'second_factor_missing',
  userId: string | null,
  clientId: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'signin.failed',
    actor: 'anonymous',
    subject: userId,
    clientId,
    ip: req.ip ?? null,
    outcome: 'failure',
    details: { ...details, reason },
  });
}

export async function auditSignIn(deps: AuditDependencies, req: Request, user: UserRecord, clientId: string | null, sid: string, amr: string[]): Promise<void> {
  await deps.store.audit.append({ at: deps.clock.now(), type: 'signin.succeeded', actor: user.id, subject: user.id, clientId, ip: req.ip ?? null, details: { sid, amr } });
}

/**
 * The password just used is in the breach corpus (BREACHED_PASSWORDS_FILE): recorded when the person, past every
 * factor, is asked for a new one. The account's owner sees it among their security events.
 */
export async function auditBreachedPassword(deps: AuditDependencies, req: Request, user: UserRecord, clientId: string | null): Promise<void> {
  await deps.store.audit.append({ at: deps.clock.now(), type: 'signin.password_breached', actor: user.id, subject: user.id, clientId, ip: req.ip ?? null, details: {} });
}

/**
 * A person who proved who they are was refused by an application's access rule (issue 21): at the end of a sign-in
 * (no session was started) or on a single sign-on answer. Their own act, so they are the actor; the account's
 * owner sees it among their security events.
 */
export async function auditAccessDenied(deps: AuditDependencies, req: Request, userId: string, clientId: string): Promise<void> {
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'signin.denied',
    actor: userId,
    subject: userId,
    clientId,
    ip: req.ip ?? null,
    outcome: 'failure',
    details: { reason: 'access_rule' },
  });
}
