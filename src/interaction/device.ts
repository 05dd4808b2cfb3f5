// The person's side of the device authorization grant (RFC 8628 §3.3): /device, where someone signed in types the
// code a television or a command-line tool shows, sees which application asks for what, and chooses Allow or Deny.
// - GET /device[?user_code=…]: the form; a code in the link (verification_uri_complete) only fills it in: nothing is
//   ever approved from a GET (§5.4: a link someone else sent must not approve their device).
// - POST /device: the code typed. Throttled per browser, person and address, every wrong code counted
//   (Throttle.deviceCodeGate, RFC 8628 §5.1); past a limit, 429 with Retry-After and nothing looked up. A code found
//   goes through the application's rules, in the sign-in's order (sign-in-steps.ts): the second factor it asks for
//   (src/auth/mfa-policy.ts), then its access rule (issue 21; refused: the "You don't have access" page, nothing
//   approved). Then the approval page.
// - POST /device/decision: Allow or Deny, for the authorization sealed into the approval form (device-binding.ts).
//   Allow writes the person, the session's id, sid, amr and auth_time onto the authorization; the device's next poll
//   receives tokens (src/oidc/grants/device-code.ts).
// - POST /device/sign-in-again: a session without the second factor the application asks for is ended and the person
//   signs in again, coming back here with the code. The login page answers a signed-in browser by sending it straight
//   back (login.ts), and a new sign-in replaces the browser's session anyway (Sessions.start).
// Every page: signed-in only (anonymous visitors sign in and come back, return-to.ts), never cached, never framed
// (the site-wide headers, security-headers.ts), no inline script or style; in the language of the person signed in
// (issue 25: the switcher's cookie, else the one saved on their account, src/i18n/page-locale.ts).
import type { Request, Response } from 'express';
import { groupsRequireMfa, mayUse } from '../auth/access-rules.js';
import { satisfiesMfaPolicy } from '../auth/mfa-policy.js';
import type { SecretBox } from '../auth/secret-box.js';
import { heldFactors } from '../auth/second-factor.js';
import type { Sessions } from '../auth/sessions.js';
import { retryAfterSeconds, type DeviceCodeCounter, type DeviceCodeRefusal, type Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ForbiddenForm, ValidationError } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import { routes } from '../http/routes.js';
import { localeOf, preferAccount } from '../i18n/page-locale.js';
import type { ClaimCatalog } from '../oidc/claim-catalog.js';
import { formatUserCode, normaliseUserCode, userCodeHash } from '../oidc/user-code.js';
import type { ClientRecord, DeviceCodeRecord, SessionRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { accessContact } from './access-denied.js';
import { field } from './browser-csrf.js';
import { deviceCsrfToken, openDecision, sealDecision } from './device-binding.js';
import { describeRequest } from './device-scopes.js';
import { checkCsrfToken } from './pending-request.js';
import { loginUrlFor } from './return-to.js';
import { auditAccessDenied } from './sign-in-audit.js';
import { browserSecretOf } from './browser-secret.js';
import { retryWhen } from './retry-time.js';

export interface DeviceDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  cookies: Cookies;
  sessions: Sessions;
  throttle: Throttle;
  /** Seals the approval form's authorization (device-binding.ts). */
  secretBox: () => Promise<SecretBox>;
  /** The attribute definitions, to say what an attribute scope releases. */
  claimCatalog: ClaimCatalog;
}

/** The signed-in person at /device, in this browser. */
interface Visitor {
  user: UserRecord;
  session: SessionRecord;
  /** The browser cookie's value. */
  browser: string;
  csrfToken: string;
}

const FORM_ADVICE = 'Open the device page again and enter the code.';

/** The throttled form's sentence, by the counter that ran out (literal keys: test/unit/locales.test.ts checks them). */
function throttledText(req: Request, by: DeviceCodeCounter, when: string): string {
  const { t } = localeOf(req);
  switch (by) {
    case 'browser':
      return t('device.throttled.browser', { when });
    case 'person':
      return t('device.throttled.person', { when });
    default:
      return t('device.throttled.address', { when });
  }
}

/** /device, with the code to fill in (already normalised), under the issuer's base path. */
function devicePath(config: Pick<Config, 'basePath'>, code: string | null): string {
  const path = `${config.basePath}${routes.device}`;
  return code ? `${path}?${new URLSearchParams({ user_code: formatUserCode(code) }).toString()}` : path;
}

/**
 * The signed-in person, or null once the browser was sent to sign in (back to /device with `code`). A GET gives a
 * browser without the browser cookie one (its forms need it); a form posted without it is refused.
 */
async function signedIn(deps: DeviceDependencies, req: Request, res: Response, code: string | null): Promise<Visitor | null> {
  res.setHeader('Cache-Control', 'no-store');
  const active = await deps.sessions.current(req);
  if (!active) {
    res.redirect(303, loginUrlFor(deps.config.basePath, devicePath(deps.config, code)));
    return null;
  }
  preferAccount(req, active.user);
  if (!deps.cookies.read(req, 'browser') && req.method !== 'GET') {
    throw new ForbiddenForm(`This browser did not keep the cookie the form needs. Allow cookies for this site. ${FORM_ADVICE}`).shown('device.noCookie');
  }
  const browser = browserSecretOf(deps.cookies, req, res);
  await deps.sessions.touch(active.session);
  return { user: active.user, session: active.session, browser, csrfToken: deviceCsrfToken(browser, active.session) };
}

function checkFormCsrf(visitor: Visitor, req: Request): void {
  try {
    checkCsrfToken(visitor.csrfToken, field(req, 'csrf'), FORM_ADVICE);
  } catch (error) {
    throw error instanceof ForbiddenForm ? error.shown('device.formExpired') : error;
  }
}

function renderCodeForm(req: Request, res: Response, visitor: Visitor, code: string, error: string | null): void {
  res.render('device', { title: localeOf(req).t('device.title'), email: visitor.user.email, csrfToken: visitor.csrfToken, code, error });
}

/** RFC 6585 §4: 429 with Retry-After, the form kept for later; nothing was looked up. */
function refuseThrottled(deps: DeviceDependencies, req: Request, res: Response, visitor: Visitor, refusal: DeviceCodeRefusal): void {
  const now = deps.clock.now();
  res.status(429).setHeader('Retry-After', String(retryAfterSeconds(refusal.retryAt, now)));
  renderCodeForm(req, res, visitor, '', throttledText(req, refusal.by, retryWhen(localeOf(req).language, refusal.retryAt, now)));
}

export function devicePage(deps: DeviceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const code = normaliseUserCode(req.query.user_code);
    const visitor = await signedIn(deps, req, res, code);
    if (!visitor) return;
    renderCodeForm(req, res, visitor, code ? formatUserCode(code) : '', null);
  };
}

export function deviceCodeSubmit(deps: DeviceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const typed = field(req, 'user_code');
    const code = normaliseUserCode(typed);
    const visitor = await signedIn(deps, req, res, code);
    if (!visitor) return;
    checkFormCsrf(visitor, req);
    const gate = await deps.throttle.deviceCodeGate(visitor.browser, visitor.user.id, req.ip);
    if (gate.refusal) {
      refuseThrottled(deps, req, res, visitor, gate.refusal);
      return;
    }
    const record = code ? await deps.store.deviceCodes.findPending(userCodeHash(code), deps.clock.now()) : null;
    // Stryker disable next-line ConditionalExpression: an authorization is deleted with its client (ON DELETE CASCADE); only a race leaves one without it
    const client = record ? await deps.store.clients.findById(record.clientId) : null;
    if (!record || !client || !code) {
      const block = await gate.failed();
      if (block) await auditThrottled(deps, req, visitor, block);
      res.status(400);
      renderCodeForm(req, res, visitor, typed.length <= 64 ? typed : '', localeOf(req).t('device.wrongCode'));
      return;
    }
    if (!(await admitted(deps, req, res, visitor, client, code))) return;
    await renderApproval(deps, req, res, visitor, record, client, code);
  };
}

export function deviceDecision(deps: DeviceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const visitor = await signedIn(deps, req, res, null);
    if (!visitor) return;
    checkFormCsrf(visitor, req);
    const target = openDecision(await deps.secretBox(), visitor.browser, visitor.session, field(req, 'request'));
    if (!target) throw new ForbiddenForm(`This form was not made in this browser, or you have signed in again since. ${FORM_ADVICE}`).shown('device.notThisBrowser');
    const decision = field(req, 'decision');
    if (decision !== 'allow' && decision !== 'deny') throw new ValidationError('decision', 'Choose Allow or Deny.').shown('device.chooseDecision');
    const now = deps.clock.now();
    const record = await deps.store.deviceCodes.findPending(target.userCodeHash, now);
    const client = record && record.deviceCodeHash === target.deviceCodeHash ? await deps.store.clients.findById(record.clientId) : null;
    if (!record || !client) {
      gone(req, res, visitor);
      return;
    }
    if (decision === 'deny') {
      // Saying no needs no rule: anyone who has the code may stop the device.
      if (!(await deps.store.deviceCodes.deny(target.userCodeHash, now))) {
        gone(req, res, visitor);
        return;
      }
      await auditDecision(deps, req, visitor, record, 'device.denied');
      renderDone(req, res, client, 'denied');
      return;
    }
    // Checked again: the rules or the person's groups may have changed since the approval page was shown.
    if (!(await admitted(deps, req, res, visitor, client, null))) return;
    const { session } = visitor;
    const approved = await deps.store.deviceCodes.approve(
      target.userCodeHash,
      { userId: visitor.user.id, sessionIdHash: session.idHash, sid: session.sid, amr: session.amr, idp: session.idp ?? null, authTime: session.authTime },
      now,
    );
    if (!approved) {
      gone(req, res, visitor);
      return;
    }
    await auditDecision(deps, req, visitor, record, 'device.approved');
    renderDone(req, res, client, 'approved');
  };
}

export function deviceSignInAgain(deps: DeviceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const code = normaliseUserCode(field(req, 'user_code'));
    const visitor = await signedIn(deps, req, res, code);
    if (!visitor) return;
    checkFormCsrf(visitor, req);
    await deps.sessions.end({ user: visitor.user, session: visitor.session });
    deps.cookies.clear(res, 'session');
    res.redirect(303, loginUrlFor(deps.config.basePath, devicePath(deps.config, code)));
  };
}

/** The authorization is no longer pending (decided, expired, swept): the form again, to start over. */
function gone(req: Request, res: Response, visitor: Visitor): void {
  res.status(400);
  renderCodeForm(req, res, visitor, '', localeOf(req).t('device.gone'));
}

/**
 * The application's rules, in the sign-in's order: the second factor it asks for, then its access rule. Answers the
 * browser itself (the step-up page, the refusal page) and returns false when one of them stops the person.
 */
async function admitted(deps: DeviceDependencies, req: Request, res: Response, visitor: Visitor, client: ClientRecord, code: string | null): Promise<boolean> {
  // One indexed query: the groups decide both rules (a group may require two factors, the client may admit some groups).
  const groups = await deps.store.groups.groupsOf(visitor.user.id);
  const groupRequiresMfa = groupsRequireMfa(groups);
  if (!satisfiesMfaPolicy(visitor.session.amr, { requireMfa: deps.config.requireMfa, client, acrValues: [], groupRequiresMfa })) {
    await renderStepUp(deps, req, res, visitor, client, code, groupRequiresMfa);
    return false;
  }
  if (!mayUse(client, groups)) {
    await auditAccessDenied(deps, req, visitor.user.id, client.clientId);
    // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only
    req.log.info({ clientId: client.clientId }, 'device approval refused by the access rule');
    const { t } = localeOf(req);
    res.status(403).render('device-access-denied', {
      title: t('device.denied.title', { app: client.name }),
      clientName: client.name,
      email: visitor.user.email,
      contact: accessContact(deps.config, client, t('accessDenied.yourAdministrator')),
    });
    return false;
  }
  return true;
}

/**
 * The session lacks the second factor the application (or a group, or REQUIRE_MFA) asks for. What signing in again
 * gives depends on what the person holds: an authenticator app is always asked for; a passkey is both factors when
 * chosen; with neither, the sign-in sets one up only where the operator's rule reaches a sign-in to our own pages
 * (REQUIRE_MFA, a group): an application's own rule needs the account page first.
 */
async function renderStepUp(deps: DeviceDependencies, req: Request, res: Response, visitor: Visitor, client: ClientRecord, code: string | null, groupRequiresMfa: boolean): Promise<void> {
  const held = await heldFactors(deps.store, visitor.user.id);
  const mode = held.totp ? 'totp' : held.passkeys > 0 ? 'passkey' : deps.config.requireMfa || groupRequiresMfa ? 'enrol' : 'setup';
  res.status(403).render('device-step-up', {
    title: localeOf(req).t('device.stepUp.title'),
    clientName: client.name,
    email: visitor.user.email,
    mode,
    csrfToken: visitor.csrfToken,
    code: code ? formatUserCode(code) : '',
    setupUrl: `${deps.config.basePath}${routes.account}/two-factor`,
  });
}

async function renderApproval(deps: DeviceDependencies, req: Request, res: Response, visitor: Visitor, record: DeviceCodeRecord, client: ClientRecord, code: string): Promise<void> {
  const locale = localeOf(req);
  const [box, request] = await Promise.all([deps.secretBox(), describeRequest(deps, client, record, locale)]);
  res.render('device-approve', {
    title: locale.t('device.approve.title', { app: client.name }),
    clientName: client.name,
    email: visitor.user.email,
    code: formatUserCode(code),
    request,
    csrfToken: visitor.csrfToken,
    sealed: sealDecision(box, visitor.browser, visitor.session, record),
  });
}

function renderDone(req: Request, res: Response, client: ClientRecord, outcome: 'approved' | 'denied'): void {
  const { t } = localeOf(req);
  res.render('device-done', {
    title: outcome === 'approved' ? t('device.done.approvedTitle') : t('device.done.deniedTitle'),
    clientName: client.name,
    outcome,
  });
}

async function auditDecision(deps: DeviceDependencies, req: Request, visitor: Visitor, record: DeviceCodeRecord, type: 'device.approved' | 'device.denied'): Promise<void> {
  await deps.store.audit.append({
    at: deps.clock.now(),
    type,
    actor: visitor.user.id,
    subject: visitor.user.id,
    clientId: record.clientId,
    ip: req.ip ?? null,
    details: { sid: visitor.session.sid, scope: record.scope, resources: record.resources },
  });
}

/**
 * The wrong code that used up a budget (once per block: the attempts after it are refused before counting, so a
 * flood of guesses leaves one event per window, not one per guess).
 */
async function auditThrottled(deps: DeviceDependencies, req: Request, visitor: Visitor, block: DeviceCodeRefusal): Promise<void> {
  const now = deps.clock.now();
  await deps.store.audit.append({
    at: now,
    type: 'device.code_throttled',
    actor: visitor.user.id,
    subject: visitor.user.id,
    ip: req.ip ?? null,
    outcome: 'failure',
    details: { by: block.by, retry_after: retryAfterSeconds(block.retryAt, now) },
  });
}
