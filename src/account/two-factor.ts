// Two-step verification on the account page (issue 10): setting up an authenticator app (RFC 6238 TOTP),
// confirming it with a first code, ten single-use recovery codes shown once, new codes, and turning it off.
// Every change asks for the current password first (OWASP ASVS V2.1.5: a left-open session must not be enough
// to add or remove a factor) and is audited; a sealed secret is only ever opened for its owner. Turning it off
// and new recovery codes ask for the factor too: a code, or a recent two-factor sign-in (checkCurrentFactor), so
// a known password and a stolen session cannot strip the account's second factor. A refusal writes nothing.
import type { Request, Response } from 'express';
import { tellSecondFactorChanged } from '../auth/account-links.js';
import { retryAfterSeconds } from '../auth/throttle.js';
import { beginEnrolment, confirmEnrolment, enrolmentDisplay, issueRecoveryCodes } from '../auth/totp-enrolment.js';
import { localeOf } from '../i18n/page-locale.js';
import type { UserRecord } from '../store/records.js';
import { accountPath } from './access.js';
import { accountOf, auditAccount, type AccountDependencies } from './context.js';
import { checkCurrentFactor, checkCurrentPassword } from './current-password.js';
import { codeSchema, currentPasswordSchema, factorChangeSchema, parseAccountForm } from './forms.js';
import { refuseCurrentPassword } from './refusal.js';
import { renderAccountPage } from './render.js';
import { twoFactorPaths } from './two-factor-view.js';

/** What the account layout needs on every page (the header's name and sign-out form). */
function layout(deps: AccountDependencies, req: Request, res: Response) {
  const { user, session, csrfToken } = accountOf(res);
  return {
    title: localeOf(req).t('account.twoFactor.heading'),
    csrfToken,
    user: { name: user.name, email: user.email },
    currentSid: session.sid,
    account: accountPath(deps),
    paths: { ...twoFactorPaths(deps), signOut: accountPath(deps, '/sessions/sign-out') },
  };
}

function renderCodes(deps: AccountDependencies, req: Request, res: Response, codes: string[], heading: string): void {
  res.render('account/two-factor', { ...layout(deps, req, res), mode: 'codes', heading, codes, error: null });
}

/** GET /account/two-factor: the QR code and the secret of an authenticator being set up. */
export function twoFactorSetupPage(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await renderSetup(deps, req, res, null, 200);
  };
}

async function renderSetup(deps: AccountDependencies, req: Request, res: Response, error: string | null, status: number): Promise<void> {
  const display = await enrolmentDisplay(deps, accountOf(res).user);
  if (!display) {
    res.redirect(303, accountPath(deps));
    return;
  }
  res.status(status).render('account/two-factor', { ...layout(deps, req, res), mode: 'setup', heading: localeOf(req).t('account.twoFactor.setupHeading'), ...display, error });
}

/** Checks the form's current password; on a refusal answers with the page (400 or 429) and returns false. */
async function passwordConfirmed(deps: AccountDependencies, req: Request, res: Response, user: UserRecord): Promise<boolean> {
  const form = parseAccountForm(currentPasswordSchema, req);
  const check = await checkCurrentPassword(deps, req, user, form.current_password);
  if (check.outcome === 'confirmed') return true;
  await refuseCurrentPassword(deps, req, res, 'twoFactor', check);
  return false;
}

/**
 * The current password, then the current second factor (a code, or a recent two-factor sign-in); on a refusal
 * answers with the page, the message beside the field it is about (400, or 429 with Retry-After), and returns false.
 */
async function passwordAndFactorConfirmed(deps: AccountDependencies, req: Request, res: Response, user: UserRecord): Promise<boolean> {
  const form = parseAccountForm(factorChangeSchema, req);
  const password = await checkCurrentPassword(deps, req, user, form.current_password);
  if (password.outcome !== 'confirmed') {
    await refuseCurrentPassword(deps, req, res, 'twoFactor', password);
    return false;
  }
  const factor = await checkCurrentFactor(deps, req, user, accountOf(res).session, form.code);
  if (factor.outcome === 'confirmed') return true;
  if (factor.outcome === 'throttled') res.setHeader('Retry-After', String(retryAfterSeconds(factor.retryAt, deps.clock.now())));
  await renderAccountPage(deps, req, res, { errors: { twoFactor: { code: factor.message } } }, factor.outcome === 'throttled' ? 429 : 400);
  return false;
}

/** POST /account/two-factor/setup (`current_password`): a new, unconfirmed authenticator. */
export function startTwoFactorSetup(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    if (!(await passwordConfirmed(deps, req, res, user))) return;
    // Refused (nothing written) when an authenticator is already on: turning it off comes first.
    if (await beginEnrolment(deps, user.id)) await auditAccount(deps, req, user, 'account.totp_setup_started');
    res.redirect(303, accountPath(deps, '/two-factor'));
  };
}

/** POST /account/two-factor/confirm (`code`): the first code proves the app holds the secret; then the codes. */
export function confirmTwoFactor(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const form = parseAccountForm(codeSchema, req);
    const codes = await confirmEnrolment(deps, user.id, form.code);
    if (!codes) {
      await renderSetup(deps, req, res, localeOf(req).t('account.errors.setupCodeWrong'), 400);
      return;
    }
    await auditAccount(deps, req, user, 'account.totp_enabled');
    const { t, language } = localeOf(req);
    tellSecondFactorChanged(deps, user, 'totp-on', req.ip ?? null, language);
    renderCodes(deps, req, res, codes, t('account.twoFactor.onHeading'));
  };
}

/** POST /account/two-factor/recovery-codes (`current_password`, `code`): ten new codes; the old ones stop working. */
export function replaceRecoveryCodes(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const credential = await deps.store.totp.find(user.id);
    if (!credential || credential.confirmedAt === null) {
      res.redirect(303, accountPath(deps));
      return;
    }
    if (!(await passwordAndFactorConfirmed(deps, req, res, user))) return;
    const codes = await issueRecoveryCodes(deps, user.id);
    await auditAccount(deps, req, user, 'account.recovery_codes_replaced');
    const { t, language } = localeOf(req);
    tellSecondFactorChanged(deps, user, 'recovery-codes', req.ip ?? null, language);
    renderCodes(deps, req, res, codes, t('account.twoFactor.newCodesHeading'));
  };
}

/**
 * POST /account/two-factor/remove (`current_password`, and `code` when it is on): the authenticator and the
 * recovery codes go. A set-up never confirmed is no factor: the password alone drops it.
 */
export function turnOffTwoFactor(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const credential = await deps.store.totp.find(user.id);
    const on = credential !== null && credential.confirmedAt !== null;
    if (!(await (on ? passwordAndFactorConfirmed : passwordConfirmed)(deps, req, res, user))) return;
    const removed = await deps.store.totp.remove(user.id);
    await deps.store.recoveryCodes.removeAll(user.id);
    if (removed) {
      await auditAccount(deps, req, user, 'account.totp_disabled');
      tellSecondFactorChanged(deps, user, 'totp-off', req.ip ?? null, localeOf(req).language);
    }
    res.redirect(303, accountPath(deps, '?done=two-factor-off'));
  };
}
