// The new-password step of a sign-in (issue 20): the password a person just signed in with is in the operator's
// breach corpus (BREACHED_PASSWORDS_FILE; NIST SP 800-63B-4 §3.1.1.2: a password known to be compromised is
// changed). It comes after every factor (sign-in-steps.ts), so the breached password alone never chooses the next
// one; the person picks a new password under the usual policy, and the sign-in then goes on where it was going
// (the application's pending request resumes). Choosing it has the effects of a password change elsewhere: the
// account's other sessions end and its tokens are revoked (whoever else knew the old one is out), the owner is
// mailed, and it is audited. The page is in the sign-in's language (issue 25); a refused password says why in it.
import type { Request, Response } from 'express';
import { inBackground, mailPasswordChanged } from '../auth/account-links.js';
import { refuseBreached } from '../auth/breached-passwords.js';
import type { Brand } from '../branding/brand.js';
import { hashPassword } from '../auth/password-hash.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { ValidationError } from '../errors.js';
import { formActionPolicy } from '../http/middleware/security-headers.js';
import { routes } from '../http/routes.js';
import { errorText } from '../i18n/error-text.js';
import { localeOf } from '../i18n/page-locale.js';
import { endAccess } from '../manage/users.js';
import { expiredSignIn, targetClientId, targetFields } from './complete-sign-in.js';
import { checkCsrfToken } from './pending-request.js';
import { auditBreachedPassword } from './sign-in-audit.js';
import { createStepChallenge, passwordFingerprint, stepStateOf, type SignInProgress, type SignInStepDependencies, type StepState } from './sign-in-progress.js';
import { proceed, type SignInStep } from './sign-in-steps.js';

export const newPasswordStep: SignInStep = {
  // Stryker disable next-line StringLiteral: the name is written to the log only
  name: 'new_password',
  async run(deps, req, res, progress) {
    if (!progress.flags.includes('password_breached')) return 'continue';
    const browser = deps.cookies.read(req, 'browser');
    // Both kinds of sign-in form set this cookie before they are shown.
    // Stryker disable next-line ConditionalExpression: unreachable; every way here passed a form bound to this cookie
    if (!browser) throw expiredSignIn();
    const { user } = progress;
    const id = await createStepChallenge(deps, browser, 'new_password', user.id, () => ({
      factors: progress.factors,
      flags: progress.flags,
      idp: progress.idp ?? null,
      enrolment: null,
      password: passwordFingerprint(user.passwordHash),
    }));
    await auditBreachedPassword(deps, req, progress.user, targetClientId(progress.target));
    const query = new URLSearchParams({ challenge: id, ...targetFields(progress.target) });
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, `${deps.config.basePath}${routes.newPassword}?${query.toString()}`);
    // Stryker disable next-line StringLiteral: equivalent; anything but 'continue' stops the sequence (sign-in-steps.ts)
    return 'answered';
  },
};

interface FieldErrors {
  password?: string;
  confirm?: string;
}

/** A field's value; a repeated field arrives as an array (parse-form.ts) and counts as empty. */
function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  // Stryker disable next-line ConditionalExpression,StringLiteral: the test helpers send each field once; a repeated one fails the checks as empty either way
  return typeof value === 'string' ? value : '';
}

function render(deps: SignInStepDependencies, req: Request, res: Response, state: StepState, errors: FieldErrors, status = 200): void {
  const { target, user } = state.progress;
  res.setHeader('Cache-Control', 'no-store');
  // The form posts here, then we redirect to the application: Chrome applies form-action to that redirect.
  // Stryker disable next-line StringLiteral: equivalent; a pending request always holds its redirect_uri (authorize.ts checked it)
  if (target.kind === 'application') res.setHeader('Content-Security-Policy', formActionPolicy(res, target.bound.record.params.redirect_uri ?? ''));
  res.status(status).render('new-password', {
    title: localeOf(req).t('newPassword.title'),
    clientName: target.kind === 'application' ? target.client.name : null,
    email: user.email,
    hidden: { challenge: state.id, ...targetFields(target) },
    csrfToken: state.csrfToken,
    passwordMinLength: deps.config.passwordMinLength,
    errors,
  });
}

/** The name people know this service by (the brand's, issue 25): a password must not be built from it either. */
function serviceNameOf(res: Response): string | undefined {
  const brand = (res.locals as { brand?: Brand }).brand;
  return brand?.name;
}

/**
 * The policy's refusal, the corpus's, and a confirmation that does not match, in the page's language; empty when
 * the password will do.
 */
async function newPasswordErrors(deps: SignInStepDependencies, req: Request, res: Response, progress: SignInProgress, password: string, confirm: string): Promise<FieldErrors> {
  const errors: FieldErrors = {};
  const { t } = localeOf(req);
  try {
    checkPasswordPolicy(password, {
      email: progress.user.email,
      name: progress.user.name,
      issuer: deps.config.issuer,
      minLength: deps.config.passwordMinLength,
      serviceName: serviceNameOf(res),
    });
    // The same one again, or another from the corpus, would be asked for again at the next sign-in.
    await refuseBreached(deps.breachedPasswords, password);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: only an unexpected failure (a corpus found corrupt while looking up) is rethrown here
    if (!(error instanceof ValidationError)) throw error;
    // Every refusal of the policy carries its translation; refuseBreached's has none of its own yet (it gives the
    // policy's `breached` reason in English), so it is told with that reason's.
    errors.password = errorText(t, error.text ? error : error.shown('password.breached'));
  }
  if (!errors.password && confirm !== password) errors.confirm = t('newPassword.mismatch');
  return errors;
}

/** GET /login/new-password */
export function newPasswordPage(deps: SignInStepDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    render(deps, req, res, await stepStateOf(deps, req, 'new_password', req.query), {});
  };
}

/** POST /login/new-password (`challenge`, `request` or `return_to`, `csrf`, `password`, `confirm`) */
export function newPasswordSubmit(deps: SignInStepDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const state = await stepStateOf(deps, req, 'new_password', body);
    checkCsrfToken(state.csrfToken, field(body, 'csrf'), 'Go back to the application and sign in again.');
    // Only over the password this sign-in passed: one set meanwhile elsewhere (reset, account page, admin) stands.
    if (state.value.password !== passwordFingerprint(state.progress.user.passwordHash)) throw expiredSignIn();
    const password = field(body, 'password');
    const errors = await newPasswordErrors(deps, req, res, state.progress, password, field(body, 'confirm'));
    if (errors.password || errors.confirm) {
      render(deps, req, res, state, errors, 400);
      return;
    }

    const { user } = state.progress;
    const passwordHash = await hashPassword(password);
    // One winner: a form sent twice sets the password once, and the second finds the step used.
    // Stryker disable next-line ConditionalExpression: equivalent; the conditional write below has one winner too (defence in depth)
    if (!(await deps.store.signInChallenges.consume(state.challenge.idHash, 'new_password', deps.clock.now()))) throw expiredSignIn();
    // The same, against a change between the check above and this write.
    // Stryker disable next-line ObjectLiteral: only a change between the fingerprint check and this write, a race no test can time, needs it
    const updated = await deps.store.users.update(user.id, { passwordHash }, deps.clock.now(), { onlyIfPasswordHash: user.passwordHash });
    // Stryker disable next-line ConditionalExpression: as above (the account was deleted meanwhile, or its password changed)
    if (!updated) throw expiredSignIn();
    const ip = req.ip ?? null;
    await endAccess({ store: deps.store, clock: deps.clock, passwordMinLength: deps.config.passwordMinLength, actor: user.id, ip, sessionEnd: deps.sessionEnd }, user.id, 'password_set');
    await deps.store.audit.append({
      at: deps.clock.now(),
      type: 'account.password_changed',
      actor: user.id,
      subject: user.id,
      clientId: targetClientId(state.progress.target),
      ip,
      details: { during: 'sign-in', reason: 'breached' },
    });
    // Stryker disable next-line StringLiteral: the label of a log line
    inBackground(deps.logger, 'password-changed mail', () => mailPasswordChanged(deps, updated, ip, localeOf(req).language));
    // The breached password is replaced (the only flag so far): this step has nothing left to ask.
    // Stryker disable next-line ArrayDeclaration: equivalent; a flag no step knows asks nothing
    await proceed(deps, req, res, { ...state.progress, user: updated, flags: [] });
  };
}
