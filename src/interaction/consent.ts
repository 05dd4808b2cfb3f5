// The consent page (issue 24, OIDC Core §3.1.2.4): a signed-in person allows or refuses what an application asks
// for, for a pending authorization request (pending-request.ts) that a single sign-on answer (oidc/authorize.ts) or
// the end of a sign-in (complete-sign-in.ts) left unused because the person had not allowed it yet
// (consent-need.ts: a third party's application, or prompt=consent).
// - GET /consent?request=<id>: the request must have been started in this browser (another browser: 403); without
//   a session, or with one that no longer answers the request (a second factor, another account), the login page of
//   the request; refused by the access rule, the access-denied page (as a sign-in would be). Nothing left to ask (the
//   person allowed it meanwhile, in another tab): the code at once. Else the page (consent-view.ts).
// - POST /consent: `request`, `csrf` and `decision` (allow | deny). The CSRF token is derived from this browser's
//   cookie, the request and the session the page was shown to, so a form from another browser, another site, or
//   shown to another account does nothing (403). A decision that is neither is refused (400) before anything is
//   used. The request is used up once (one winner: a replayed form gets the expired page, no second code). Allow
//   stores the consent (the union of every scope granted, ConsentRepository.grant), audits `consent.granted` and
//   sends the code; Deny audits `consent.denied` and sends access_denied with the state and our issuer (RFC 6749
//   §4.1.2.1, RFC 9207); nothing is granted.
// Every refusal writes nothing. The device flow's approval page (device.ts) is its own explicit consent, per code.
// The page is in the request's ui_locales, else the person's language (issue 25, src/i18n/page-locale.ts).
import type { Request, Response } from 'express';
import { csrfTokenFor, checkCsrfToken, type BoundRequest } from './pending-request.js';
import type { ActiveSession } from '../auth/sessions.js';
import { AccessDenied, ForbiddenForm, ValidationError } from '../errors.js';
import { routes } from '../http/routes.js';
import { localeOf, preferAccount } from '../i18n/page-locale.js';
import type { ClaimCatalog } from '../oidc/claim-catalog.js';
import { restoreRequest, type AuthorizationRequest } from '../oidc/authorization-request.js';
import { errorRedirect, issueCode } from '../oidc/authorization-response.js';
import { sessionAnswer } from '../oidc/authorize.js';
import type { ClientRecord } from '../store/records.js';
import { renderAccessDenied } from './access-denied.js';
import { applicationTarget, expiredSignIn } from './complete-sign-in.js';
import { codeUnderConsent, consentNeed, consentUrl } from './consent-need.js';
import { consentView, renderConsent } from './consent-view.js';
import { auditAccessDenied } from './sign-in-audit.js';
import type { SignInStepDependencies } from './sign-in-progress.js';

/** The sign-in's dependencies (app.ts passes the same object), and the attribute catalog the sentences read. */
export type ConsentDependencies = SignInStepDependencies & { claimCatalog: Pick<ClaimCatalog, 'definitions'> };

type Decision = 'allow' | 'deny';

const FORM_ADVICE = 'Go back to the application and start again.';

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * The consent form's CSRF token: this browser's cookie, the pending request, and the session the page was shown
 * to (a session replaced meanwhile, by signing in as someone else, makes the form stale rather than deciding for
 * a person who never saw it).
 */
function consentCsrf(deps: ConsentDependencies, req: Request, bound: BoundRequest, active: ActiveSession): string {
  // findPendingRequest has checked the cookie against the request's binding.
  const browser = deps.cookies.read(req, 'browser') ?? '';
  return csrfTokenFor(browser, `consent\0${bound.id}\0${active.session.sid}`);
}

function loginUrl(deps: ConsentDependencies, requestId: string): string {
  return `${deps.config.basePath}${routes.login}?${new URLSearchParams({ request: requestId }).toString()}`;
}

/** Uses the pending request up (one winner) and returns it as it was asked; the loser gets the expired page. */
async function consume(deps: ConsentDependencies, bound: BoundRequest, client: ClientRecord): Promise<AuthorizationRequest> {
  const record = await deps.store.authorizationRequests.consume(bound.record.idHash, deps.clock.now());
  if (!record) throw expiredSignIn();
  return restoreRequest(client, record.params);
}

export function consentPage(deps: ConsentDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const { bound, client } = await applicationTarget(deps, req, text(req.query.request));
    const active = await deps.sessions.current(req);
    if (active) preferAccount(req, active.user);
    const request = restoreRequest(client, bound.record.params);
    const answer = active ? await sessionAnswer(deps, request, active, undefined) : 'sign_in';
    if (!active || answer === 'sign_in') {
      res.redirect(303, loginUrl(deps, bound.id));
      return;
    }
    if (answer === 'denied') {
      const used = await consume(deps, bound, client);
      await auditAccessDenied(deps, req, active.user.id, client.clientId);
      renderAccessDenied(deps, req, res, client, active.user, { redirectUri: used.redirectUri, state: used.state });
      return;
    }
    const need = await consentNeed(deps, request, active.user.id);
    if (need.ask.length === 0) {
      const used = await consume(deps, bound, client);
      await deps.sessions.touch(active.session);
      res.redirect(303, await codeUnderConsent(deps, used, active.session, need));
      return;
    }
    const view = await consentView(deps, { client, request, user: active.user, ask: need.ask, requestId: bound.id, csrfToken: consentCsrf(deps, req, bound, active), locale: localeOf(req) });
    renderConsent(res, view, request.redirectUri);
  };
}

export function consentSubmit(deps: ConsentDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { bound, client } = await applicationTarget(deps, req, text(body.request));
    const active = await deps.sessions.current(req);
    if (!active) throw expiredSignIn();
    preferAccount(req, active.user);
    try {
      checkCsrfToken(consentCsrf(deps, req, bound, active), text(body.csrf), FORM_ADVICE);
    } catch (error) {
      throw error instanceof ForbiddenForm ? error.shown('consent.formExpired') : error;
    }
    const decision = body.decision;
    if (decision !== 'allow' && decision !== 'deny') throw new ValidationError('decision', 'Choose Allow or Deny.').shown('consent.chooseDecision');
    // The session must still answer the request as when the page was shown (a group's second factor, the access
    // rule): if not, the page decides again, and nothing is used.
    if ((await sessionAnswer(deps, restoreRequest(client, bound.record.params), active, undefined)) !== 'code') {
      res.redirect(303, consentUrl(deps.config.basePath, bound.id));
      return;
    }
    const previous = decision === 'allow' ? await deps.store.consents.find(active.user.id, client.clientId) : null;
    const request = await consume(deps, bound, client);
    res.redirect(303, await decide(deps, req, active, request, decision, previous?.scopes ?? []));
  };
}

/** Carries out the decision on the used request; returns where the browser goes: the application, with a code or access_denied. */
async function decide(deps: ConsentDependencies, req: Request, active: ActiveSession, request: AuthorizationRequest, decision: Decision, before: readonly string[]): Promise<string> {
  const now = deps.clock.now();
  const { client } = request;
  const event = { at: now, actor: active.user.id, subject: active.user.id, clientId: client.clientId, ip: req.ip ?? null };
  if (decision === 'deny') {
    await deps.store.audit.append({ ...event, type: 'consent.denied', details: { client_id: client.clientId, scopes: request.scope } });
    return errorRedirect(deps.config, new AccessDenied('the user did not allow the application'), { redirectUri: request.redirectUri, state: request.state });
  }
  // The whole scope of the request is what the person saw and allowed (asked now, or allowed before and listed).
  await deps.store.consents.grant(active.user.id, client.clientId, request.scope, now);
  const added = request.scope.filter((scope) => !before.includes(scope));
  await deps.store.audit.append({ ...event, type: 'consent.granted', details: { client_id: client.clientId, scopes: request.scope, added } });
  await deps.store.consents.touch(active.user.id, client.clientId, now);
  await deps.sessions.touch(active.session);
  return issueCode(deps, request, active.session);
}
