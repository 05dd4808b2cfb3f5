// The second step of a sign-in (issue 10): after the password, a person with an authenticator types a TOTP
// code or a recovery code; a person without one, signing in where two factors are required (mfa-policy.ts),
// sets one up here first. Between the steps, the store holds a short-lived challenge bound to this browser's
// cookie (never the person's id in a form field): it names who passed the password, and is used up once.
import type { Request, Response } from 'express';
import { checkSecondFactor, hasSecondFactor, type SecondFactorCheck, type SecondFactorDependencies } from '../auth/second-factor.js';
import { tellSecondFactorChanged, type AccountMailDependencies } from '../auth/account-links.js';
import { beginEnrolment, confirmEnrolment, enrolmentDisplay, TOTP_ON, type EnrolmentDisplay } from '../auth/totp-enrolment.js';
import { constantTimeEqual, hashSecret, randomSecret } from '../auth/secrets.js';
import { retryAfterSeconds, tryAgainIn } from '../auth/throttle.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import { routes } from '../http/routes.js';
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

/** After the password: keeps who passed it and sends the browser to the second step. */
export async function startSecondFactor(deps: SecondFactorPageDependencies, req: Request, res: Response, user: UserRecord, target: SignInTarget, factors: string[]): Promise<void> {
  const browser = deps.cookies.read(req, 'browser');
  // Both kinds of sign-in form set this cookie before they are shown.
  if (!browser) throw expiredSignIn();
  const id = await createChallenge(deps, browser, user.id, factors);
  const query = new URLSearchParams({ challenge: id, ...targetFields(target) });
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(303, `${deps.config.basePath}${routes.secondFactor}?${query.toString()}`);
}

/** A challenge naming who passed which factors, bound to this browser; returns its id. */
async function createChallenge(deps: SecondFactorPageDependencies, browser: string, userId: string, factors: string[]): Promise<string> {
  const id = randomSecret();
  const now = deps.clock.now();
  await deps.store.signInChallenges.create({
    idHash: hashSecret(id), purpose: 'second_factor', browserHash: hashSecret(browser), userId, value: factors.join(' '), createdAt: now, expiresAt: now + CHALLENGE_LIFETIME_MS,
  });
  return id;
}

function stepCsrf(browser: string, id: string): string {
  return csrfTokenFor(browser, `second-factor\0${id}`);
}

interface Step {
  id: string;
  challenge: SignInChallengeRecord;
  user: UserRecord;
  target: SignInTarget;
  csrfToken: string;
}

/** The live challenge named by `fields`, started in this browser, for a person who may still sign in. */
async function stepOf(deps: SecondFactorPageDependencies, req: Request, fields: Record<string, unknown>): Promise<Step> {
  const id = text(fields.challenge);
  const browser = deps.cookies.read(req, 'browser');
  const challenge = id && browser ? await deps.store.signInChallenges.findLive(hashSecret(id), 'second_factor', deps.clock.now()) : null;
  if (!challenge || !browser || !constantTimeEqual(hashSecret(browser), challenge.browserHash) || !challenge.userId) throw expiredSignIn();
  const user = await deps.store.users.findById(challenge.userId);
  if (!user || user.disabled) throw expiredSignIn();
  const target = await targetOf(deps, req, fields);
  return { id, challenge, user, target, csrfToken: stepCsrf(browser, id) };
}

/** What the step asks: a code; setting up an authenticator first (the policy needs one); or nothing more. */
type Mode = 'code' | 'enrol' | 'verified';

async function modeOf(deps: SecondFactorPageDependencies, step: Step): Promise<Mode> {
  if (step.challenge.value.split(' ').includes('mfa')) return 'verified';
  return (await hasSecondFactor(deps.store, step.user.id)) ? 'code' : 'enrol';
}

interface View {
  mode: 'code' | 'enrol' | 'codes' | 'continue';
  error?: string | null;
  enrolment?: EnrolmentDisplay;
  codes?: string[];
  /** Setting up an authenticator, a person who has a passkey is told it would do instead. */
  hasPasskey?: boolean;
}

function render(res: Response, step: Step, view: View): void {
  res.setHeader('Cache-Control', 'no-store');
  // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
  if (step.target.kind === 'application') res.setHeader('Content-Security-Policy', formActionPolicy(step.target.bound.record.params.redirect_uri ?? ''));
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
    const hasPasskey = (await deps.store.passkeys.listForUser(step.user.id)).length > 0;
    render(res, step, { mode: 'enrol', enrolment: await pendingEnrolment(deps, step), hasPasskey });
  };
}

/** The authenticator being set up in this sign-in: the pending one, or a new one. */
async function pendingEnrolment(deps: SecondFactorPageDependencies, step: Step): Promise<EnrolmentDisplay> {
  const shown = await enrolmentDisplay(deps, step.user);
  if (shown) return shown;
  await beginEnrolment(deps, step.user.id);
  const display = await enrolmentDisplay(deps, step.user);
  // Someone confirmed an authenticator for this account meanwhile: this sign-in starts again.
  if (!display) throw expiredSignIn();
  return display;
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
    await completeSignIn(deps, req, res, step.target, step.user, signedInWith(step.challenge.value));
  };
}

/** RFC 8176: `otp` for the code (a recovery code is a one-time password too), `mfa` for the two factors. */
function signedInWith(factors: string): string[] {
  const amr = factors.split(' ').filter(Boolean);
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
 * The first code of an authenticator set up during the sign-in. The person then sees their recovery codes once,
 * and goes on with a new challenge that says both factors were passed: reloading that page shows no codes.
 */
async function confirmInSignIn(deps: SecondFactorPageDependencies, req: Request, res: Response, step: Step, code: string): Promise<void> {
  const codes = await confirmEnrolment(deps, step.user.id, code);
  if (!codes) {
    res.status(400);
    return render(res, step, { mode: 'enrol', enrolment: await pendingEnrolment(deps, step), error: 'That code is not right. Enter the 6-digit code your app shows now.' });
  }
  await deps.store.audit.append({ at: deps.clock.now(), type: 'account.totp_enabled', actor: step.user.id, subject: step.user.id, ip: req.ip ?? null, details: { during: 'sign-in' } });
  tellSecondFactorChanged(deps, step.user, TOTP_ON, req.ip ?? null);
  if (!(await deps.store.signInChallenges.consume(step.challenge.idHash, 'second_factor', deps.clock.now()))) throw expiredSignIn();
  const browser = deps.cookies.read(req, 'browser') ?? '';
  const id = await createChallenge(deps, browser, step.user.id, signedInWith(step.challenge.value));
  render(res, { ...step, id, csrfToken: stepCsrf(browser, id) }, { mode: 'codes', codes });
}
