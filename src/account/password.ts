// Changing one's own password: the current one first (throttled like a sign-in), the new one through the
// policy (NIST SP 800-63B §3.1.1.2). A new password ends every other session of the account and revokes every
// unused code, refresh and access token (OWASP ASVS V3.3.3: whoever else was in with the old one is out, relying
// parties included; a code minted in a hijacked session is not redeemed later, issue 19 F5), drops sign-ins that
// passed the old password and still owe a second factor, and every mailed link (the store, with the new hash);
// keeps this session, and the account's address hears of it.
import type { Request, Response } from 'express';
import { inBackground, mailPasswordChanged } from '../auth/account-links.js';
import { refuseBreached } from '../auth/breached-passwords.js';
import { hashPassword } from '../auth/password-hash.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { UserRecord } from '../store/records.js';
import { accountPath } from './access.js';
import { accountOf, type AccountDependencies } from './context.js';
import { checkCurrentPassword } from './current-password.js';
import { parseAccountForm, passwordSchema, refusalText, type FieldErrors } from './forms.js';
import type { Brand } from '../branding/brand.js';
import type { Translate } from '../i18n/catalog.js';
import { localeOf } from '../i18n/page-locale.js';
import { refuseCurrentPassword } from './refusal.js';
import { renderAccountPage } from './render.js';

/**
 * The new password's errors: the policy's (with the person's name, this issuer's host and the brand's name), the breach corpus's,
 * and a confirmation that does not match.
 */
async function newPasswordErrors(
  deps: AccountDependencies,
  t: Translate,
  user: UserRecord,
  form: { new_password: string; confirm_password: string },
  serviceName: string | undefined,
): Promise<FieldErrors> {
  const errors: FieldErrors = {};
  try {
    checkPasswordPolicy(form.new_password, { email: user.email, name: user.name, minLength: deps.config.passwordMinLength, issuer: deps.config.issuer, serviceName });
    await refuseBreached(deps.breachedPasswords, form.new_password);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.new_password = refusalText(t, error);
  }
  if (form.confirm_password !== form.new_password) errors.confirm_password = t('account.errors.passwordsDiffer');
  return errors;
}

/** POST /account/password (`current_password`, `new_password`, `confirm_password`). */
export function changePassword(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user, session } = accountOf(res);
    const form = parseAccountForm(passwordSchema, req);
    // The new password is judged before the current one is checked: a form that fails anyway spends no guess.
    const { t, language } = localeOf(req);
    // The organisation's name (the brand the page shows) is a word of this service, like the issuer's host.
    const errors = await newPasswordErrors(deps, t, user, form, (res.locals.brand as Brand | undefined)?.name);
    if (form.current_password === '') errors.current_password = t('account.errors.currentPasswordMissing');
    if (Object.keys(errors).length > 0) {
      await renderAccountPage(deps, req, res, { errors: { password: errors } }, 400);
      return;
    }
    const check = await checkCurrentPassword(deps, req, user, form.current_password);
    if (check.outcome !== 'confirmed') {
      await refuseCurrentPassword(deps, req, res, 'password', check);
      return;
    }
    const ip = req.ip ?? null;
    if (!(await deps.store.users.update(user.id, { passwordHash: await hashPassword(form.new_password) }, deps.clock.now()))) {
      throw new NotFoundError('This account no longer exists.').shown('account.errors.accountGone');
    }
    const others = (await deps.store.sessions.listForUser(user.id, deps.clock.now())).filter((other) => other.idHash !== session.idHash);
    await Promise.all(others.map((other) => deps.sessionEnd.end(other, { reason: 'password_set', actor: user.id, keepOffline: false })));
    // Offline grants outlive their sessions: they were opened with the old password too. Applications signed in
    // through this browser get new tokens silently, from the session that stays.
    const now = deps.clock.now();
    await deps.store.codes.revokeForUser(user.id, now);
    await deps.store.refreshTokens.revokeForUser(user.id, now);
    await deps.store.accessTokens.revokeForUser(user.id, now);
    // Someone who passed the old password elsewhere and waits at the second step (or is asked for a new password
    // because the old one was breached) does not finish with a code.
    await deps.store.signInChallenges.deleteForUser(user.id, 'second_factor');
    await deps.store.signInChallenges.deleteForUser(user.id, 'new_password');
    await deps.store.audit.append({ at: deps.clock.now(), type: 'account.password_changed', actor: user.id, subject: user.id, ip, details: { sessions_ended: others.length } });
    inBackground(deps.logger, 'password-changed mail', () => mailPasswordChanged(deps, user, ip, language));
    res.redirect(303, accountPath(deps, '?done=password-changed'));
  };
}
