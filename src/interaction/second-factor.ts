// The second step of a sign-in (issue 10): after the password, a person with an authenticator app types a TOTP
// code or a recovery code. A person without one, where two factors are required (mfa-policy.ts):
// - who has a passkey is told to sign in with it (it is both factors): a password never binds a new authenticator
//   to an account that already has one (NIST SP 800-63B-4, authenticator binding: that takes authentication at
//   the level the account already gives);
// - who has nothing sets an authenticator up here, but only where the operator demands it (REQUIRE_MFA, the
//   application's rule); the secret is this sign-in's own, kept sealed in its challenge, never the account page's
//   pending one, and the owner is mailed once it is on. Where only the request asked (acr_values), the application
//   is answered `unmet_authentication_requirements` (OpenID Connect Unmet Authentication Requirements 1.0).
// Between the steps, the store holds a short-lived challenge bound to this browser's cookie (never the person's
// id in a form field): it names who passed the password, and is used up once.
import type { Request, Response } from 'express';
import { enrolmentRequired, mfaRequired } from '../auth/mfa-policy.js';
import { checkSecondFactor, heldFactors, type SecondFactorCheck, type SecondFactorDependencies } from '../auth/second-factor.js';
import { tellSecondFactorChanged, type AccountMailDependencies } from '../auth/account-links.js';
import { bindAuthenticator, displayOf, TOTP_ON, type EnrolmentDisplay } from '../auth/totp-enrolment.js';
import { constantTimeEqual, hashSecret, randomSecret } from '../auth/secrets.js';
import { retryAfterSeconds, tryAgainIn } from '../auth/throttle.js';
import { newTotpSecret } from '../auth/totp.js';
import { KeyStoreError, UnmetAuthenticationRequirements } from '../errors.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import { routes } from '../http/routes.js';
import { AuthorizationErrorRedirect, restoreRequest, storedAcrValues } from '../oidc/authorization-request.js';
import type { SignInChallengeRecord, UserRecord } from '../store/records.js';
import { completeSignIn, expiredSignIn, targetClientId, targetFields, targetOf, type CompletionDependencies, type SignInTarget } from './complete-sign-in.js';
import { checkCsrfToken, csrfTokenFor } from './pending-request.js';
import { auditFailure } from './sign-in-attempt.js';

export type SecondFactorPageDependencies = CompletionDependencies & SecondFactorDependencies & Pick<AccountMailDependencies, 'mailer' | 'logger'>;

/** Long enough to open an authenticator app; short enough that a password typed on a shared computer goes stale. */
const CHALLENGE_LIFETIME_MS = 10 * 60 * 1000;

const WRONG_CODE = 'That code is not right. Check your authenticator app and try again.';

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function policyOf(deps: SecondFactorPageDependencies, target: SignInTarget) {
  return {
    requireMfa: deps.config.requireMfa,
    client: target.kind === 'application' ? target.client : null,
    // Stryker disable next-line ArrayDeclaration: equivalent; only ACR_MFA is ever looked for in the list, and a made-up value is not it
    acrValues: target.kind === 'application' ? storedAcrValues(target.bound.record.params) : [],
  };
}

/** After the password, where a second factor is owed or held: the step that fits what the person has (see the top). */
export async function startSecondFactor(deps: SecondFactorPageDependencies, req: Request, res: Response, user: UserRecord, target: SignInTarget, factors: string[]): Promise<void> {
  const browser = deps.cookies.read(req, 'browser');
  // Both kinds of sign-in form set this cookie before they are shown.
  if (!browser) throw expiredSignIn();
  const policy = policyOf(deps, target);
  const held = await heldFactors(deps.store, user.id);
  let id: string;
  if (held.totp) {
    id = await createChallenge(deps, browser, user.id, factors, false);
  } else if (!mfaRequired(policy)) {
    // Nothing asks for more, and the authenticator went since the password was checked: the password is enough.
    return completeSignIn(deps, req, res, target, user, factors);
  } else if (held.passkeys > 0) {
    return usePasskeyInstead(deps, res, target);
  } else if (enrolmentRequired(policy)) {
    id = await createChallenge(deps, browser, user.id, factors, true);
  } else {
    return unmetRequirements(deps, req, target, user);
  }
  const query = new URLSearchParams({ challenge: id, ...targetFields(target) });
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(303, `${deps.config.basePath}${routes.secondFactor}?${query.toString()}`);
}

/**
 * The request asked for two factors (acr_values) of a person who has none, and nothing else demands them: the
 * pending request is used up and the application hears so by redirect, with its state and our issuer, like every
 * authorization error (OpenID Connect Unmet Authentication Requirements 1.0 §3; RFC 9207). No session starts.
 */
async function unmetRequirements(deps: SecondFactorPageDependencies, req: Request, target: SignInTarget, user: UserRecord): Promise<never> {
  // Our own pages never carry acr_values: only REQUIRE_MFA asks there, and it sets a factor up.
  if (target.kind !== 'application') throw expiredSignIn();
  const record = await deps.store.authorizationRequests.consume(target.bound.record.idHash, deps.clock.now());
  if (!record) throw expiredSignIn();
  await auditFailure(deps, req, 'second_factor_missing', user.id, target.client.clientId);
  const request = restoreRequest(target.client, record.params);
  throw new AuthorizationErrorRedirect(
    new UnmetAuthenticationRequirements('the request asks for multi-factor authentication (acr_values) and the user has no second factor'),
    { redirectUri: request.redirectUri, state: request.state },
  );
}

/** A person with a passkey but no authenticator app, asked for two factors: the passkey is both; nothing is set up. */
function usePasskeyInstead(deps: SecondFactorPageDependencies, res: Response, target: SignInTarget): void {
  res.setHeader('Cache-Control', 'no-store');
  const back = new URLSearchParams(targetFields(target));
  res.status(403).render('second-factor', {
    title: 'Two-step verification',
    clientName: target.kind === 'application' ? target.client.name : null,
    mode: 'passkey',
    loginUrl: `${deps.config.basePath}${routes.login}?${back.toString()}`,
    error: null,
  });
}

/** What a challenge holds: the factors passed so far, and for a set-up, the secret being set up, sealed. */
interface ChallengeValue {
  factors: string[];
  enrolment: string | null;
}

const ENROLMENT_TOKEN = 'enrol=';

function parseValue(value: string): ChallengeValue {
  // Stryker disable next-line MethodExpression: equivalent; createChallenge writes every value as non-empty tokens joined by single spaces
  const tokens = value.split(' ').filter(Boolean);
  const enrolment = tokens.find((token) => token.startsWith(ENROLMENT_TOKEN));
  return { factors: tokens.filter((token) => !token.startsWith(ENROLMENT_TOKEN)), enrolment: enrolment ? enrolment.slice(ENROLMENT_TOKEN.length) : null };
}

/** The associated data of a sign-in's own secret: it opens only from the challenge it was made for. */
function enrolmentAad(userId: string, challengeIdHash: string): string {
  return `totp-sign-in:${userId}:${challengeIdHash}`;
}

/** A challenge naming who passed which factors, bound to this browser, with a new secret when it sets one up; returns its id. */
async function createChallenge(deps: SecondFactorPageDependencies, browser: string, userId: string, factors: string[], enrol: boolean): Promise<string> {
  const id = randomSecret();
  const idHash = hashSecret(id);
  const now = deps.clock.now();
  const tokens = [...factors];
  if (enrol) tokens.push(ENROLMENT_TOKEN + (await deps.secretBox()).seal(newTotpSecret(), enrolmentAad(userId, idHash)));
  await deps.store.signInChallenges.create({
    idHash, purpose: 'second_factor', browserHash: hashSecret(browser), userId, value: tokens.join(' '), createdAt: now, expiresAt: now + CHALLENGE_LIFETIME_MS,
  });
  return id;
}

function stepCsrf(browser: string, id: string): string {
  return csrfTokenFor(browser, `second-factor\0${id}`);
}

interface Step {
  id: string;
  challenge: SignInChallengeRecord;
  value: ChallengeValue;
  user: UserRecord;
  target: SignInTarget;
  csrfToken: string;
}

/** The live challenge named by `fields`, started in this browser, for a person who may still sign in. */
async function stepOf(deps: SecondFactorPageDependencies, req: Request, fields: Record<string, unknown>): Promise<Step> {
  const id = text(fields.challenge);
  const browser = deps.cookies.read(req, 'browser');
  // Stryker disable next-line LogicalOperator: equivalent; a missing browser cookie is refused on the next line, and no challenge has the hash of an empty id
  const challenge = id && browser ? await deps.store.signInChallenges.findLive(hashSecret(id), 'second_factor', deps.clock.now()) : null;
  if (!challenge || !browser || !constantTimeEqual(hashSecret(browser), challenge.browserHash) || !challenge.userId) throw expiredSignIn();
  const user = await deps.store.users.findById(challenge.userId);
  if (!user || user.disabled) throw expiredSignIn();
  const target = await targetOf(deps, req, fields);
  return { id, challenge, value: parseValue(challenge.value), user, target, csrfToken: stepCsrf(browser, id) };
}

/** What the step asks: a code; setting up an authenticator first (the operator's policy needs one); or nothing more. */
type Mode = 'code' | 'enrol' | 'verified';

async function modeOf(deps: SecondFactorPageDependencies, step: Step): Promise<Mode> {
  if (step.value.factors.includes('mfa')) return 'verified';
  const held = await heldFactors(deps.store, step.user.id);
  if (held.totp) return 'code';
  // A set-up goes on only while the person still has no factor at all: a passkey added meanwhile ends it.
  if (step.value.enrolment !== null && held.passkeys === 0) return 'enrol';
  throw expiredSignIn();
}

/**
 * The secret this sign-in sets up, opened from its own challenge. One that does not open (sealed under another
 * secrets key: a challenge carried over by `idp import`) ends this sign-in like an expired one.
 */
async function enrolmentSecret(deps: SecondFactorPageDependencies, step: Step): Promise<string> {
  const box = await deps.secretBox();
  try {
    // Stryker disable next-line StringLiteral: unreachable; modeOf answers 'enrol' only for a challenge that holds a sealed secret
    return box.open(step.value.enrolment ?? '', enrolmentAad(step.user.id, step.challenge.idHash));
  } catch (error) {
    if (error instanceof KeyStoreError) throw expiredSignIn();
    throw error;
  }
}

interface View {
  mode: 'code' | 'enrol' | 'codes' | 'continue';
  error?: string | null;
  enrolment?: EnrolmentDisplay;
  codes?: string[];
}

function render(res: Response, step: Step, view: View): void {
  res.setHeader('Cache-Control', 'no-store');
  // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
  if (step.target.kind === 'application') res.setHeader('Content-Security-Policy', formActionPolicy(res, step.target.bound.record.params.redirect_uri ?? ''));
  res.render('second-factor', {
    title: 'Two-step verification',
    clientName: step.target.kind === 'application' ? step.target.client.name : null,
    hidden: { challenge: step.id, ...targetFields(step.target) },
    csrfToken: step.csrfToken,
    error: null,
    ...view,
  });
}

/** GET /login/second-factor */
export function secondFactorPage(deps: SecondFactorPageDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const step = await stepOf(deps, req, req.query);
    const mode = await modeOf(deps, step);
    if (mode === 'verified') return render(res, step, { mode: 'continue' });
    if (mode === 'code') return render(res, step, { mode: 'code' });
    render(res, step, { mode: 'enrol', enrolment: await displayOf(deps, step.user, await enrolmentSecret(deps, step)) });
  };
}

/** POST /login/second-factor (`challenge`, `request` or `return_to`, `csrf`, and `code` unless verified) */
export function secondFactorSubmit(deps: SecondFactorPageDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const step = await stepOf(deps, req, body);
    checkCsrfToken(step.csrfToken, text(body.csrf), 'Go back to the application and sign in again.');
    const mode = await modeOf(deps, step);
    const code = text(body.code).slice(0, 100);
    if (mode === 'enrol') return confirmInSignIn(deps, req, res, step, code);
    if (mode === 'code') {
      const check = await checkSecondFactor(deps, step.user, code, req.ip);
      if (check.outcome !== 'accepted') return refuse(deps, req, res, step, check);
    }
    if (!(await deps.store.signInChallenges.consume(step.challenge.idHash, 'second_factor', deps.clock.now()))) throw expiredSignIn();
    await completeSignIn(deps, req, res, step.target, step.user, signedInWith(step.value.factors));
  };
}

/** RFC 8176: `otp` for the code (a recovery code is a one-time password too), `mfa` for the two factors. */
function signedInWith(factors: readonly string[]): string[] {
  const amr = [...factors];
  for (const method of ['otp', 'mfa']) if (!amr.includes(method)) amr.push(method);
  return amr;
}

async function refuse(deps: SecondFactorPageDependencies, req: Request, res: Response, step: Step, check: Exclude<SecondFactorCheck, { outcome: 'accepted' }>): Promise<void> {
  if (check.outcome === 'throttled') {
    res.status(429).setHeader('Retry-After', String(retryAfterSeconds(check.refusal.retryAt, deps.clock.now())));
    return render(res, step, { mode: 'code', error: `Too many wrong codes for this account. Try again ${tryAgainIn(check.refusal.retryAt, deps.clock.now())}.` });
  }
  await auditFailure(deps, req, 'wrong_second_factor', step.user.id, targetClientId(step.target));
  res.status(401);
  render(res, step, { mode: 'code', error: WRONG_CODE });
}

/**
 * The first code of the authenticator this sign-in sets up: it is bound to the account only now. The person then
 * sees their recovery codes once, and goes on with a new challenge that says both factors were passed: reloading
 * that page shows no codes. The owner is mailed, as for every new factor.
 */
async function confirmInSignIn(deps: SecondFactorPageDependencies, req: Request, res: Response, step: Step, code: string): Promise<void> {
  const secret = await enrolmentSecret(deps, step);
  const bound = await bindAuthenticator(deps, step.user.id, secret, code);
  // Someone confirmed an authenticator for this account meanwhile: this sign-in starts again.
  // Stryker disable next-line StringLiteral: 'taken' needs an authenticator confirmed between modeOf and bindAuthenticator, a race no test can time
  if (bound.outcome === 'taken') throw expiredSignIn();
  if (bound.outcome === 'wrong_code') {
    res.status(400);
    return render(res, step, { mode: 'enrol', enrolment: await displayOf(deps, step.user, secret), error: 'That code is not right. Enter the 6-digit code your app shows now.' });
  }
  const { codes } = bound;
  await deps.store.audit.append({ at: deps.clock.now(), type: 'account.totp_enabled', actor: step.user.id, subject: step.user.id, ip: req.ip ?? null, details: { during: 'sign-in' } });
  tellSecondFactorChanged(deps, step.user, TOTP_ON, req.ip ?? null);
  if (!(await deps.store.signInChallenges.consume(step.challenge.idHash, 'second_factor', deps.clock.now()))) throw expiredSignIn();
  const browser = deps.cookies.read(req, 'browser') ?? '';
  const id = await createChallenge(deps, browser, step.user.id, signedInWith(step.value.factors), false);
  render(res, { ...step, id, csrfToken: stepCsrf(browser, id) }, { mode: 'codes', codes });
}
