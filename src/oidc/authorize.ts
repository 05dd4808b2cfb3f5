// The authorization endpoint (OIDC Core §3.1.2), GET and POST. With a usable single sign-on session the
// browser goes straight back to the application with a code; otherwise to the login page, or, for
// prompt=none, back with login_required (also when only a second factor is missing: it needs the person).
// A session whose person the application's access rule refuses (issue 21) gets the "You don't have access" page,
// or, for prompt=none, access_denied at once; the session stays, for the applications they may use.
// Sending the browser to the login page stores a pending request: admitted per client address (F9 of issue 19).
// `gatehouse_provider=<slug>` sends it to that upstream provider's sign-in instead of the login page (issue 23).
// A session that would answer with a code first asks whether the person allowed the application what it asks for
// (issue 24, src/auth/consent-policy.ts): a third party's application, or prompt=consent. Not yet allowed: the
// pending request is stored (admitted as above) and the browser goes to the consent page; for prompt=none,
// consent_required at once (OIDC Core §3.1.2.6: no page may be shown).
// The pages shown here (an error, "You don't have access", too many sign-ins) are in the request's ui_locales when it
// names a language we ship (OIDC Core §3.1.2.1; issue 25), even when the request itself is refused.
import type { Request, Response } from 'express';
import { groupsRequireMfa, mayUse, restricted } from '../auth/access-rules.js';
import { satisfiesMfaPolicy, type MfaPolicyInput } from '../auth/mfa-policy.js';
import type { ActiveSession, Sessions } from '../auth/sessions.js';
import { retryAfterSeconds, type AdmissionScope, type Throttle } from '../auth/throttle.js';
import { ConsentRequired, InvalidRequest, LoginRequired } from '../errors.js';
import { localeOf, preferRequestLocales } from '../i18n/page-locale.js';
import { accessDenied, renderAccessDenied } from '../interaction/access-denied.js';
import { codeUnderConsent, consentNeed, consentUrl, requestIdOf } from '../interaction/consent-need.js';
import { browserProvider, federationStartUrl } from '../interaction/federation-providers.js';
import { startPendingRequest, type PendingDependencies } from '../interaction/pending-request.js';
import { tryAgainText } from '../interaction/sign-in-attempt.js';
import { auditAccessDenied } from '../interaction/sign-in-audit.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { ClaimCatalog } from './claim-catalog.js';
import { AuthorizationErrorRedirect, resolveAuthorizationRequest, type AuthorizationRequest } from './authorization-request.js';
import { verifyIdTokenHint } from './id-token-hint.js';

export interface AuthorizeDependencies extends PendingDependencies {
  sessions: Sessions;
  keyRing: KeyRing;
  throttle: Throttle;
  /** The attribute scopes a request may ask for, cached (src/oidc/claim-catalog.ts). */
  claimCatalog: ClaimCatalog;
}

/** The subject of an id_token_hint we issued; a hint we did not sign is an invalid request. */
async function hintedSubject(keyRing: KeyRing, issuer: string, hint: string): Promise<string> {
  const verified = await verifyIdTokenHint(keyRing, issuer, hint);
  if (!verified) throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
  return verified.sub;
}

/** What a live session does for this request: answers it, leaves it to the sign-in form, or is refused access. */
export type SessionAnswer = 'code' | 'sign_in' | 'denied';

/**
 * Whether the session may answer this request without the form: prompt=login, max_age and id_token_hint may
 * forbid it, and a session signed in with one factor does not answer a request that needs two (the person steps
 * up): one of their groups may need two (everywhere). A person the application's access rule does not admit is
 * refused. The person's groups are read once (one indexed query) and only when they can change the answer: the
 * application is restricted, or the session has one factor and nothing else asks for two. The consent page asks it
 * again of a pending request (interaction/consent.ts), whatever session the browser holds by then.
 */
export async function sessionAnswer(
  deps: Pick<AuthorizeDependencies, 'clock' | 'config' | 'store'>,
  request: AuthorizationRequest,
  active: ActiveSession,
  hintedSub: string | undefined,
): Promise<SessionAnswer> {
  if (request.prompt.has('login')) return 'sign_in';
  // max_age=0 always asks again (OIDC Core §3.1.2.1).
  if (request.maxAge !== undefined && deps.clock.now() - active.session.authTime >= request.maxAge * 1000) return 'sign_in';
  if (hintedSub !== undefined && hintedSub !== active.user.id) return 'sign_in';
  const policy: MfaPolicyInput = { requireMfa: deps.config.requireMfa, client: request.client, acrValues: request.acrValues };
  const { amr } = active.session;
  if (!satisfiesMfaPolicy(amr, policy)) return 'sign_in';
  // Stryker disable next-line ConditionalExpression: its `false` variant is equivalent in outcome (it only adds the query the groups cannot change the answer of)
  if (amr.includes('mfa') && !restricted(request.client)) return 'code';
  const groups = await deps.store.groups.groupsOf(active.user.id);
  if (!satisfiesMfaPolicy(amr, { ...policy, groupRequiresMfa: groupsRequireMfa(groups) })) return 'sign_in';
  return mayUse(request.client, groups) ? 'code' : 'denied';
}

export function authorizeEndpoint(deps: AuthorizeDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    // Express 5 leaves req.body undefined when no body was parsed (a POST without a form).
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
    // Before the request is checked: a refused one's page is in the language it asked for too (the parser bounds
    // and filters the tags of an accepted one; here a string is all that counts, read as the parser reads it).
    if (typeof params?.ui_locales === 'string') preferRequestLocales(req, params.ui_locales.split(' ').filter(Boolean).slice(0, 10));
    // Issue 28: `resolved` are the parameters the request is made of: a pushed request's or a request object's, if so.
    const { request, params: resolved } = await resolveAuthorizationRequest(deps, params ?? {});
    const target = { redirectUri: request.redirectUri, state: request.state };
    let hintedSub: string | undefined;
    try {
      hintedSub = request.idTokenHint === undefined ? undefined : await hintedSubject(deps.keyRing, deps.config.issuer, request.idTokenHint);
    } catch (error) {
      throw new AuthorizationErrorRedirect(error as InvalidRequest, target);
    }
    const active = await deps.sessions.current(req);
    const answer = active ? await sessionAnswer(deps, request, active, hintedSub) : 'sign_in';
    if (active && answer === 'code') {
      const need = await consentNeed(deps, request, active.user.id);
      if (need.ask.length === 0) {
        await deps.sessions.touch(active.session);
        res.redirect(303, await codeUnderConsent(deps, request, active.session, need));
        return;
      }
      if (request.prompt.has('none')) throw new AuthorizationErrorRedirect(new ConsentRequired('the user has not allowed this application what it asks for'), target);
      if (!(await admitted(deps, req, res, request.client.clientId))) return;
      res.redirect(303, consentUrl(deps.config.basePath, requestIdOf(await startPendingRequest(deps, req, res, request))));
      return;
    }
    if (active && answer === 'denied') {
      await auditAccessDenied(deps, req, active.user.id, request.client.clientId);
      // No page may be shown for prompt=none (OIDC Core §3.1.2.1): the application hears at once.
      if (request.prompt.has('none')) throw new AuthorizationErrorRedirect(accessDenied(), target);
      renderAccessDenied(deps, req, res, request.client, active.user, target);
      return;
    }
    if (request.prompt.has('none')) {
      throw new AuthorizationErrorRedirect(new LoginRequired('the user must sign in'), target);
    }
    if (!(await admitted(deps, req, res, request.client.clientId))) return;
    const loginUrl = await startPendingRequest(deps, req, res, request);
    res.redirect(303, (await providerStart(deps, resolved, loginUrl)) ?? loginUrl);
  };
}

/**
 * `gatehouse_provider=<slug>` (issue 23): an application that already knows where its person signs in (a button of
 * its own, a tenant's domain) sends them straight to that upstream provider, as Keycloak's `kc_idp_hint` does. It
 * counts only once the request needs a sign-in: a usable session and prompt=none answer as before. The pending
 * request is stored first, so the upstream's answer continues it, and the person can still come back to the login
 * page and use a password. A slug naming no enabled browser provider is ignored: the login page, never an error
 * (the application may name a provider the operator has since turned off).
 */
async function providerStart(deps: AuthorizeDependencies, params: Record<string, unknown>, loginUrl: string): Promise<string | null> {
  const slug = params.gatehouse_provider;
  if (typeof slug !== 'string' || slug === '') return null;
  const provider = await browserProvider(deps.store, slug);
  if (!provider) return null;
  return federationStartUrl(deps.config.basePath, provider.slug, { request: requestIdOf(loginUrl) });
}

/**
 * Whether this address may store one more pending request (Throttle.admitAddress: 600 in 10 minutes). Past its
 * budget the browser gets a page of ours, 429 with Retry-After (RFC 6585 §4), and nothing is stored. Not a
 * redirect to the client with `temporarily_unavailable` (RFC 6749 §4.1.2.1): the refusal is about this address,
 * not the application, whose usual answer to an error is to start the sign-in again, spending more of the
 * budget; and a redirect would hand an abuser's flood on to the application. The request that uses up the
 * budget is audited once (admission.throttled); the refusals that follow are logged, not stored. A federated
 * sign-in's start and callback (src/interaction/federation-start.ts, federation-callback.ts) are admitted the same
 * way under a budget of their own (`federation`): the start stores a row as this does, and a federated sign-in
 * must not spend three units of the authorization budget.
 */
export async function admitted(
  deps: Pick<AuthorizeDependencies, 'store' | 'clock' | 'throttle'>,
  req: Request,
  res: Response,
  clientId: string | null,
  scope: AdmissionScope = 'authorize',
): Promise<boolean> {
  const admission = await deps.throttle.admitAddress(scope, req.ip);
  const now = deps.clock.now();
  if (admission.allowed) {
    if (admission.blockedUntil !== null) {
      await deps.store.audit.append({
        at: now,
        type: 'admission.throttled',
        actor: 'anonymous',
        subject: null,
        clientId,
        ip: req.ip ?? null,
        outcome: 'failure',
        details: { scope, retry_after: retryAfterSeconds(admission.blockedUntil, now) },
      });
    }
    return true;
  }
  // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line, not stored or shown; what the person and the store see is tested
  req.log.info({ scope, retryAt: admission.retryAt }, 'sign-in not started: too many from this address');
  res.status(429).setHeader('Retry-After', String(retryAfterSeconds(admission.retryAt, now)));
  const { t } = localeOf(req);
  res.render('error', {
    status: 429,
    error: 'too_many_requests',
    title: t('login.tooManyStarted.title'),
    description: t('login.tooManyStarted.text', { tryAgain: tryAgainText(localeOf(req), admission.retryAt, now) }),
    original: null,
    requestId: req.id,
  });
  return false;
}
