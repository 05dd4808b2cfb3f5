// The authorization endpoint (OIDC Core §3.1.2), GET and POST. With a usable single sign-on session the
// browser goes straight back to the application with a code; otherwise to the login page, or, for
// prompt=none, back with login_required (also when only a second factor is missing: it needs the person).
// Sending the browser to the login page stores a pending request: admitted per client address (F9 of issue 19).
import type { Request, Response } from 'express';
import { satisfiesMfaPolicy } from '../auth/mfa-policy.js';
import type { ActiveSession, Sessions } from '../auth/sessions.js';
import { retryAfterSeconds, tryAgainIn, type Throttle } from '../auth/throttle.js';
import { InvalidRequest, LoginRequired } from '../errors.js';
import { startPendingRequest, type PendingDependencies } from '../interaction/pending-request.js';
import type { KeyRing } from '../signing/key-ring.js';
import { AuthorizationErrorRedirect, parseAuthorizationRequest, type AuthorizationRequest } from './authorization-request.js';
import { issueCode } from './authorization-response.js';
import { verifyIdTokenHint } from './id-token-hint.js';

export interface AuthorizeDependencies extends PendingDependencies {
  sessions: Sessions;
  keyRing: KeyRing;
  throttle: Throttle;
}

/** The subject of an id_token_hint we issued; a hint we did not sign is an invalid request. */
async function hintedSubject(keyRing: KeyRing, issuer: string, hint: string): Promise<string> {
  const verified = await verifyIdTokenHint(keyRing, issuer, hint);
  if (!verified) throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
  return verified.sub;
}

/**
 * Whether the session may answer this request without the form: prompt=login and max_age may forbid it, and a
 * session signed in with one factor does not answer a request that needs two (the person steps up).
 */
function sessionSatisfies(deps: AuthorizeDependencies, request: AuthorizationRequest, active: ActiveSession, hintedSub: string | undefined): boolean {
  if (request.prompt.has('login')) return false;
  // max_age=0 always asks again (OIDC Core §3.1.2.1).
  if (request.maxAge !== undefined && deps.clock.now() - active.session.authTime >= request.maxAge * 1000) return false;
  if (!satisfiesMfaPolicy(active.session.amr, { requireMfa: deps.config.requireMfa, client: request.client, acrValues: request.acrValues })) return false;
  return hintedSub === undefined || hintedSub === active.user.id;
}

export function authorizeEndpoint(deps: AuthorizeDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    // Express 5 leaves req.body undefined when no body was parsed (a POST without a form).
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
    const request = await parseAuthorizationRequest(deps.store, params ?? {});
    const target = { redirectUri: request.redirectUri, state: request.state };
    let hintedSub: string | undefined;
    try {
      hintedSub = request.idTokenHint === undefined ? undefined : await hintedSubject(deps.keyRing, deps.config.issuer, request.idTokenHint);
    } catch (error) {
      throw new AuthorizationErrorRedirect(error as InvalidRequest, target);
    }
    const active = await deps.sessions.current(req);
    if (active && sessionSatisfies(deps, request, active, hintedSub)) {
      await deps.sessions.touch(active.session);
      res.redirect(303, await issueCode(deps, request, active.session));
      return;
    }
    if (request.prompt.has('none')) {
      throw new AuthorizationErrorRedirect(new LoginRequired('the user must sign in'), target);
    }
    if (!(await admitted(deps, req, res, request))) return;
    res.redirect(303, await startPendingRequest(deps, req, res, request));
  };
}

/**
 * Whether this address may store one more pending request (Throttle.admitAddress: 600 in 10 minutes). Past its
 * budget the browser gets a page of ours, 429 with Retry-After (RFC 6585 §4), and nothing is stored. Not a
 * redirect to the client with `temporarily_unavailable` (RFC 6749 §4.1.2.1): the refusal is about this address,
 * not the application, whose usual answer to an error is to start the sign-in again, spending more of the
 * budget; and a redirect would hand an abuser's flood on to the application. The request that uses up the
 * budget is audited once (admission.throttled); the refusals that follow are logged, not stored.
 */
async function admitted(deps: AuthorizeDependencies, req: Request, res: Response, request: AuthorizationRequest): Promise<boolean> {
  const admission = await deps.throttle.admitAddress('authorize', req.ip);
  const now = deps.clock.now();
  if (admission.allowed) {
    if (admission.blockedUntil !== null) {
      await deps.store.audit.append({
        at: now,
        type: 'admission.throttled',
        actor: 'anonymous',
        subject: null,
        clientId: request.client.clientId,
        ip: req.ip ?? null,
        outcome: 'failure',
        details: { scope: 'authorize', retry_after: retryAfterSeconds(admission.blockedUntil, now) },
      });
    }
    return true;
  }
  // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line, not stored or shown; what the person and the store see is tested
  req.log.info({ scope: 'authorize', retryAt: admission.retryAt }, 'sign-in not started: too many from this address');
  res.status(429).setHeader('Retry-After', String(retryAfterSeconds(admission.retryAt, now)));
  res.render('error', {
    status: 429,
    error: 'too_many_requests',
    title: 'Too many sign-ins started',
    description: `Too many sign-ins were started from your network in the last few minutes. Try again ${tryAgainIn(admission.retryAt, now)}.`,
    requestId: req.id,
  });
  return false;
}
