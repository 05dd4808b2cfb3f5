// Where every sign-in ends once the person is authenticated, whichever factors they used: a session with its
// `amr` (RFC 8176), the audit record, and the way on: a code to the application that asked (the pending
// authorization request is used up exactly once), or back to our own page. An application the person has not yet
// allowed what it asks for (issue 24: a third party's, or prompt=consent; consent-need.ts) gets no code here: the
// session starts, and the browser goes on to the consent page with the pending request still unused (consent.ts
// uses it up once the person decides). That holds for every way of signing in, the passkey's JSON answer too.
import type { Request, Response } from 'express';
import type { Sessions } from '../auth/sessions.js';
import { UntrustedAuthorizationRequest } from '../errors.js';
import { restoreRequest } from '../oidc/authorization-request.js';
import type { ClientRecord, SessionRecord, UserRecord } from '../store/records.js';
import { codeUnderConsent, consentNeed, consentUrl } from './consent-need.js';
import { findPendingRequest, type BoundRequest, type PendingDependencies } from './pending-request.js';
import { safeReturnPath } from './return-to.js';
import { auditSignIn } from './sign-in-audit.js';

export interface CompletionDependencies extends PendingDependencies {
  sessions: Sessions;
}

/** Where a sign-in goes on: an application's pending request, or one of our own pages (`return_to`). */
export type SignInTarget = { kind: 'application'; bound: BoundRequest; client: ClientRecord } | { kind: 'page'; returnTo: string };

export function expiredSignIn(): UntrustedAuthorizationRequest {
  return new UntrustedAuthorizationRequest('This sign-in link has expired or was already used. Go back to the application and sign in again.').shown('login.expired');
}

/** A `return_to` that is not one of our pages (return-to.ts). */
export function invalidSignInLink(): UntrustedAuthorizationRequest {
  return new UntrustedAuthorizationRequest('This sign-in link is not valid. Open the page you wanted again.').shown('login.invalidLink');
}

/** The application's pending request `id`, bound to this browser; refused when it expired or was used. */
export async function applicationTarget(deps: PendingDependencies, req: Request, id: string): Promise<Extract<SignInTarget, { kind: 'application' }>> {
  const bound = id ? await findPendingRequest(deps, req, id) : null;
  const client = bound ? await deps.store.clients.findById(bound.record.clientId) : null;
  // Stryker disable next-line LogicalOperator: a pending request is deleted with its client (ON DELETE CASCADE): a live request without its client is only a race between the two reads above
  if (!bound || !client) throw expiredSignIn();
  return { kind: 'application', bound, client };
}

/** The target named by a later step's fields (`request` or `return_to`), checked again as at the first step. */
export async function targetOf(deps: PendingDependencies, req: Request, fields: { request?: unknown; return_to?: unknown }): Promise<SignInTarget> {
  if (typeof fields.request === 'string' && fields.request !== '') return applicationTarget(deps, req, fields.request);
  const returnTo = safeReturnPath(deps.config.basePath, fields.return_to);
  if (!returnTo) throw invalidSignInLink();
  return { kind: 'page', returnTo };
}

/** The application a sign-in is for, for the audit log; null for our own pages. */
export function targetClientId(target: SignInTarget): string | null {
  return target.kind === 'application' ? target.client.clientId : null;
}

/** The hidden fields that carry the target from one sign-in step to the next. */
export function targetFields(target: SignInTarget): Record<string, string> {
  return target.kind === 'application' ? { request: target.bound.id } : { return_to: target.returnTo };
}

/** A new session, its cookie set on this response (ASVS V3.2.1: a new id at every sign-in). */
async function startSession(deps: CompletionDependencies, req: Request, res: Response, user: UserRecord, amr: string[], idp: string | null): Promise<SessionRecord> {
  const started = await deps.sessions.start(req, user.id, amr, idp);
  deps.cookies.set(res, 'session', started.id, started.maxAgeSeconds);
  return started.session;
}

/**
 * `respond` sends the browser on to the URL: a 303 by default; a sign-in driven by a script (a passkey's answer
 * comes by fetch()) answers the URL as JSON instead, and the script goes there.
 */
export async function completeSignIn(
  deps: CompletionDependencies,
  req: Request,
  res: Response,
  target: SignInTarget,
  user: UserRecord,
  amr: string[],
  respond: (url: string) => void = (url) => res.redirect(303, url),
  idp: string | null = null,
): Promise<void> {
  if (target.kind === 'page') {
    const session = await startSession(deps, req, res, user, amr, idp);
    await auditSignIn(deps, req, user, null, session.sid, amr);
    res.setHeader('Cache-Control', 'no-store');
    respond(target.returnTo);
    return;
  }
  const need = await consentNeed(deps, restoreRequest(target.client, target.bound.record.params), user.id);
  if (need.ask.length > 0) {
    const session = await startSession(deps, req, res, user, amr, idp);
    await auditSignIn(deps, req, user, target.client.clientId, session.sid, amr);
    res.setHeader('Cache-Control', 'no-store');
    respond(consentUrl(deps.config.basePath, target.bound.id));
    return;
  }
  const record = await deps.store.authorizationRequests.consume(target.bound.record.idHash, deps.clock.now());
  if (!record) throw expiredSignIn();
  const session = await startSession(deps, req, res, user, amr, idp);
  await auditSignIn(deps, req, user, target.client.clientId, session.sid, amr);
  respond(await codeUnderConsent(deps, restoreRequest(target.client, record.params), session, need));
}
