// The second step of a sign-in (issue 10): after the password, a person with an authenticator app types a TOTP
// code or a recovery code. A person without one, where two factors are required (mfa-policy.ts):
// - who has a passkey is told to sign in with it (it is both factors): a password never binds a new authenticator
//   to an account that already has one (NIST SP 800-63B-4, authenticator binding: that takes authentication at
//   the level the account already gives);
// - who has nothing sets an authenticator up here, but only where the operator demands it (REQUIRE_MFA, the
//   application's rule, a group of the person's that requires it: issue 21, everywhere, our own pages included);
//   the secret is this sign-in's own, kept sealed in its challenge, never the account page's
//   pending one, and the owner is mailed once it is on. Where only the request asked (acr_values), the application
//   is answered `unmet_authentication_requirements` (OpenID Connect Unmet Authentication Requirements 1.0).
// It is the first of the sign-in steps (sign-in-steps.ts); between its pages the progress travels in a challenge
// (sign-in-progress.ts). Its pages are in the sign-in's language (issue 25).
import type { Request, Response } from 'express';
import { groupsRequireMfa } from '../auth/access-rules.js';
import { enrolmentRequired, mfaRequired, type MfaPolicyInput } from '../auth/mfa-policy.js';
import { checkSecondFactor, heldFactors, type SecondFactorCheck, type SecondFactorDependencies } from '../auth/second-factor.js';
import { tellSecondFactorChanged, type AccountMailDependencies } from '../auth/account-links.js';
import { bindAuthenticator, displayOf, type EnrolmentDisplay } from '../auth/totp-enrolment.js';
import { retryAfterSeconds } from '../auth/throttle.js';
import { newTotpSecret } from '../auth/totp.js';
import { KeyStoreError, UnmetAuthenticationRequirements } from '../errors.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import { routes } from '../http/routes.js';
import { localeOf } from '../i18n/page-locale.js';
import { AuthorizationErrorRedirect, restoreRequest, storedAcrValues } from '../oidc/authorization-request.js';
import type { UserRecord } from '../store/records.js';
import { expiredSignIn, targetClientId, targetFields, type CompletionDependencies, type SignInTarget } from './complete-sign-in.js';
import { checkCsrfToken } from './pending-request.js';
import { tryAgainText } from './sign-in-attempt.js';
import { auditFailure } from './sign-in-audit.js';
import { createStepChallenge, personGroups, stepCsrf, stepStateOf, type SignInFlag, type SignInProgress, type SignInStepDependencies, type StepState } from './sign-in-progress.js';
import { proceed, type SignInStep } from './sign-in-steps.js';

export type SecondFactorPageDependencies = CompletionDependencies & SecondFactorDependencies & Pick<AccountMailDependencies, 'mailer' | 'logger'>;

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** What asks this sign-in for two factors; the person's groups are read for it (personGroups: one query). */
async function policyOf(deps: SecondFactorPageDependencies, progress: SignInProgress): Promise<MfaPolicyInput> {
  const { target } = progress;
  return {
    requireMfa: deps.config.requireMfa,
    client: target.kind === 'application' ? target.client : null,
    // Stryker disable next-line ArrayDeclaration: equivalent; only ACR_MFA is ever looked for in the list, and a made-up value is not it
    acrValues: target.kind === 'application' ? storedAcrValues(target.bound.record.params) : [],
    groupRequiresMfa: groupsRequireMfa(await personGroups(deps, progress)),
  };
}

/**
 * The second-factor step: after a password, where a second factor is owed or held, the step that fits what the
 * person has (see the top). A passkey is both factors already: nothing more is asked of it.
 */
export const secondFactorStep: SignInStep = {
  name: 'second_factor',
  async run(deps, req, res, progress) {
    // A first factor of ours (a password) or an upstream's (`fed`, issue 23, whose own second factor counted only if
    // the provider is trusted for it and then arrived as `mfa` already).
    if (!(progress.factors.includes('pwd') || progress.factors.includes('fed')) || progress.factors.includes('mfa')) return 'continue';
    const { user, target } = progress;
    const held = await heldFactors(deps.store, user.id);
    let enrol: boolean;
    if (held.totp) {
      // Asked whatever the policy says: the policy (and the groups it reads) is not needed.
      enrol = false;
    } else {
      const policy = await policyOf(deps, progress);
      if (!mfaRequired(policy)) {
        // Nothing asks for more (a passkey alone is no second step after a password): the password is enough.
        return 'continue';
      } else if (held.passkeys > 0) {
        usePasskeyInstead(deps, req, res, target);
        return 'answered';
      } else if (enrolmentRequired(policy)) {
        enrol = true;
      } else {
        return unmetRequirements(deps, req, target, user);
      }
    }
    const browser = deps.cookies.read(req, 'browser');
    // Both kinds of sign-in form set this cookie before they are shown.
    if (!browser) throw expiredSignIn();
    const id = await createChallenge(deps, browser, user.id, progress.factors, progress.flags, enrol, progress.idp ?? null);
    const query = new URLSearchParams({ challenge: id, ...targetFields(target) });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, `${deps.config.basePath}${routes.secondFactor}?${query.toString()}`);
    return 'answered';
  },
};

/**
 * The request asked for two factors (acr_values) of a person who has none, and nothing else demands them: the
 * pending request is used up and the application hears so by redirect, with its state and our issuer, like every
 * authorization error (OpenID Connect Unmet Authentication Requirements 1.0 §3; RFC 9207). No session starts.
 */
async function unmetRequirements(deps: SecondFactorPageDependencies, req: Request, target: SignInTarget, user: UserRecord): Promise<never> {
  // Our own pages never carry acr_values: only REQUIRE_MFA and a group's rule ask there, and both set a factor up.
  if (target.kind !== 'application') throw expiredSignIn();
  const record = await deps.store.authorizationRequests.consume(target.bound.record.idHash, deps.clock.now());
  if (!record) throw expiredSignIn();
  await auditFailure(deps, req, 'second_factor_missing', user.id, target.client.clientId);
  const request = restoreRequest(target.client, record.params);
  throw new AuthorizationErrorRedirect(new UnmetAuthenticationRequirements('the request asks for multi-factor authentication (acr_values) and the user has no second factor'), {
    redirectUri: request.redirectUri,
    state: request.state,
  });
}

/** A person with a passkey but no authenticator app, asked for two factors: the passkey is both; nothing is set up. */
function usePasskeyInstead(deps: SecondFactorPageDependencies, req: Request, res: Response, target: SignInTarget): void {
  res.setHeader('Cache-Control', 'no-store');
  const back = new URLSearchParams(targetFields(target));
  res.status(403).render('second-factor', {
    title: localeOf(req).t('secondFactor.title'),
    clientName: target.kind === 'application' ? target.client.name : null,
    mode: 'passkey',
    loginUrl: `${deps.config.basePath}${routes.login}?${back.toString()}`,
    error: null,
  });
}

/** The associated data of a sign-in's own secret: it opens only from the challenge it was made for. */
function enrolmentAad(userId: string, challengeIdHash: string): string {
  return `totp-sign-in:${userId}:${challengeIdHash}`;
}

/** A challenge naming who passed which factors, bound to this browser, with a new secret when it sets one up; returns its id. */
async function createChallenge(deps: SecondFactorPageDependencies, browser: string, userId: string, factors: string[], flags: SignInFlag[], enrol: boolean, idp: string | null): Promise<string> {
  return createStepChallenge(deps, browser, 'second_factor', userId, async (idHash) => ({
    factors,
    flags,
    idp,
    enrolment: enrol ? (await deps.secretBox()).seal(newTotpSecret(), enrolmentAad(userId, idHash)) : null,
  }));
}

type Step = StepState;

/** What the step asks: a code; setting up an authenticator first (the operator's policy needs one); or nothing more. */
type Mode = 'code' | 'enrol' | 'verified';

async function modeOf(deps: SecondFactorPageDependencies, step: Step): Promise<Mode> {
  if (step.value.factors.includes('mfa')) return 'verified';
  const held = await heldFactors(deps.store, step.progress.user.id);
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
    return box.open(step.value.enrolment ?? '', enrolmentAad(step.progress.user.id, step.challenge.idHash));
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

function render(req: Request, res: Response, step: Step, view: View): void {
  res.setHeader('Cache-Control', 'no-store');
  // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
  if (step.progress.target.kind === 'application') res.setHeader('Content-Security-Policy', formActionPolicy(res, step.progress.target.bound.record.params.redirect_uri ?? ''));
  res.render('second-factor', {
    title: localeOf(req).t('secondFactor.title'),
    clientName: step.progress.target.kind === 'application' ? step.progress.target.client.name : null,
    hidden: { challenge: step.id, ...targetFields(step.progress.target) },
    csrfToken: step.csrfToken,
    error: null,
    ...view,
  });
}

/** GET /login/second-factor */
export function secondFactorPage(deps: SignInStepDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const step = await stepStateOf(deps, req, 'second_factor', req.query);
    const mode = await modeOf(deps, step);
    if (mode === 'verified') {
      render(req, res, step, { mode: 'continue' });
      return;
    }
    if (mode === 'code') {
      render(req, res, step, { mode: 'code' });
      return;
    }
    render(req, res, step, { mode: 'enrol', enrolment: await displayOf(deps, step.progress.user, await enrolmentSecret(deps, step)) });
  };
}

/** POST /login/second-factor (`challenge`, `request` or `return_to`, `csrf`, and `code` unless verified) */
export function secondFactorSubmit(deps: SignInStepDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const step = await stepStateOf(deps, req, 'second_factor', body);
    checkCsrfToken(step.csrfToken, text(body.csrf), 'Go back to the application and sign in again.');
    const mode = await modeOf(deps, step);
    const code = text(body.code).slice(0, 100);
    if (mode === 'enrol') return confirmInSignIn(deps, req, res, step, code);
    if (mode === 'code') {
      const check = await checkSecondFactor(deps, step.progress.user, code, req.ip);
      if (check.outcome !== 'accepted') return refuse(deps, req, res, step, check);
    }
    if (!(await deps.store.signInChallenges.consume(step.challenge.idHash, 'second_factor', deps.clock.now()))) throw expiredSignIn();
    await proceed(deps, req, res, { ...step.progress, factors: signedInWith(step.value.factors) });
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
    const { t } = localeOf(req);
    render(req, res, step, { mode: 'code', error: t('secondFactor.throttled', { tryAgain: tryAgainText(localeOf(req), check.refusal.retryAt, deps.clock.now()) }) });
    return;
  }
  await auditFailure(deps, req, 'wrong_second_factor', step.progress.user.id, targetClientId(step.progress.target));
  res.status(401);
  render(req, res, step, { mode: 'code', error: localeOf(req).t('secondFactor.wrongCode') });
}

/**
 * The first code of the authenticator this sign-in sets up: it is bound to the account only now. The person then
 * sees their recovery codes once, and goes on with a new challenge that says both factors were passed: reloading
 * that page shows no codes. The owner is mailed, as for every new factor.
 */
async function confirmInSignIn(deps: SignInStepDependencies, req: Request, res: Response, step: Step, code: string): Promise<void> {
  const secret = await enrolmentSecret(deps, step);
  const bound = await bindAuthenticator(deps, step.progress.user.id, secret, code);
  // Someone confirmed an authenticator for this account meanwhile: this sign-in starts again.
  // Stryker disable next-line StringLiteral: 'taken' needs an authenticator confirmed between modeOf and bindAuthenticator, a race no test can time
  if (bound.outcome === 'taken') throw expiredSignIn();
  if (bound.outcome === 'wrong_code') {
    res.status(400);
    render(req, res, step, { mode: 'enrol', enrolment: await displayOf(deps, step.progress.user, secret), error: localeOf(req).t('secondFactor.wrongEnrolCode') });
    return;
  }
  const { codes } = bound;
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'account.totp_enabled',
    actor: step.progress.user.id,
    subject: step.progress.user.id,
    ip: req.ip ?? null,
    details: { during: 'sign-in' },
  });
  tellSecondFactorChanged(deps, step.progress.user, 'totp-on', req.ip ?? null, localeOf(req).language);
  if (!(await deps.store.signInChallenges.consume(step.challenge.idHash, 'second_factor', deps.clock.now()))) throw expiredSignIn();
  const browser = deps.cookies.read(req, 'browser') ?? '';
  const id = await createChallenge(deps, browser, step.progress.user.id, signedInWith(step.value.factors), step.value.flags, false, step.value.idp ?? null);
  render(req, res, { ...step, id, csrfToken: stepCsrf(browser, 'second_factor', id) }, { mode: 'codes', codes });
}
