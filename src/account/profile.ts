// The person's name and email address. A new address takes effect only when the person opens the link mailed to
// it (src/auth/email-verification.ts), and asking for one needs the current password: a session left open is
// not enough to move the account, and with it its password resets, to another mailbox.
import type { Request, Response } from 'express';
import { inBackground, mailVerification } from '../auth/account-links.js';
import { retryAfterSeconds } from '../auth/throttle.js';
import { requestEmailChange, type EmailChangeRequest } from '../auth/email-verification.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Translate } from '../i18n/catalog.js';
import { localeOf } from '../i18n/page-locale.js';
import { retryWhen } from '../interaction/retry-time.js';
import { checkEmail, checkName } from '../manage/users.js';
import { accountPath } from './access.js';
import { accountOf, type AccountDependencies } from './context.js';
import { checkCurrentPassword } from './current-password.js';
import { emailSchema, nameSchema, parseAccountForm, refusalText } from './forms.js';
import { refuseCurrentPassword } from './refusal.js';
import { renderAccountPage } from './render.js';

/** Runs a rule: its value, or the message its ValidationError shows next to the field (anything else goes on). */
function checked<T>(rule: () => T, say: (error: ValidationError) => string): { ok: true; value: T } | { ok: false; error: string } {
  try {
    return { ok: true, value: rule() };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, error: say(error) };
    throw error;
  }
}

/** checkEmail's refusal: the address as typed, quoted, is not one. */
function emailRefusal(t: Translate, typed: string): (error: ValidationError) => string {
  return (error) => (error.text ? refusalText(t, error) : t('account.errors.emailInvalid', { email: JSON.stringify(typed) }));
}

/** POST /account/name (`name`; empty removes it). */
export function changeName(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const form = parseAccountForm(nameSchema, req);
    const { t } = localeOf(req);
    const name = checked(
      () => checkName(form.name),
      (error) => refusalText(t, error),
    );
    if (!name.ok) {
      await renderAccountPage(deps, req, res, { values: { name: form.name }, errors: { name: { name: name.error } } }, 400);
      return;
    }
    if (name.value === user.name) {
      res.redirect(303, accountPath(deps, '?done=unchanged'));
      return;
    }
    const now = deps.clock.now();
    if (!(await deps.store.users.update(user.id, { name: name.value }, now))) throw new NotFoundError('This account no longer exists.').shown('account.errors.accountGone');
    await deps.store.audit.append({ at: now, type: 'account.name_changed', actor: user.id, subject: user.id, ip: req.ip ?? null, details: {} });
    res.redirect(303, accountPath(deps, '?done=name-changed'));
  };
}

/**
 * POST /account/email (`email`, `current_password`). The address is checked first (no guess is spent on a
 * form that would fail anyway), then the password, throttled like a sign-in. An address that belongs to another
 * account gets the same answer and no mail (requestEmailChange), so the form finds out nothing about others.
 */
export function changeEmail(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const form = parseAccountForm(emailSchema, req);
    const values = { email: form.email };
    const { t, language } = localeOf(req);
    const email = checked(() => checkEmail(form.email), emailRefusal(t, form.email));
    if (!email.ok) {
      await renderAccountPage(deps, req, res, { values, errors: { email: { email: email.error } } }, 400);
      return;
    }
    const check = await checkCurrentPassword(deps, req, user, form.current_password);
    if (check.outcome !== 'confirmed') {
      await refuseCurrentPassword(deps, req, res, 'email', check, values);
      return;
    }
    let requested: EmailChangeRequest;
    try {
      requested = await requestEmailChange(deps, user, email.value, req.ip ?? null, language);
    } catch (error) {
      // The one rule only known once the password was right: a different spelling of the account's own address.
      if (!(error instanceof ValidationError)) throw error;
      await renderAccountPage(deps, req, res, { values, errors: { email: { email: refusalText(t, error) } } }, 400);
      return;
    }
    if (requested.outcome === 'unchanged') {
      res.redirect(303, accountPath(deps, '?done=unchanged'));
      return;
    }
    // Answered with the page itself: the address is not put in a URL, where a crafted link could say anything.
    await renderAccountPage(deps, req, res, { notice: t('account.notices.emailLinkSent', { email: requested.email }) });
  };
}

/** POST /account/email/verification: a new link to the account's own address, while it is not verified. */
export function resendVerification(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    if (user.emailVerified) {
      res.redirect(303, accountPath(deps, '?done=already-verified'));
      return;
    }
    // Each request sends a mail: throttled like reset requests, so a session cannot flood the mailbox.
    const admission = await deps.throttle.admit('verify', user.email, req.ip);
    if (!admission.allowed) {
      const now = deps.clock.now();
      await deps.store.audit.append({
        at: now,
        type: 'email.verification_throttled',
        actor: user.id,
        subject: user.id,
        ip: req.ip ?? null,
        outcome: 'failure',
        details: { by: admission.by },
      });
      res.setHeader('Retry-After', String(retryAfterSeconds(admission.retryAt, now)));
      const { t, language } = localeOf(req);
      await renderAccountPage(deps, req, res, { notice: t('account.notices.tooManyLinks', { when: retryWhen(language, admission.retryAt, now) }) }, 429);
      return;
    }
    const language = localeOf(req).language;
    inBackground(deps.logger, 'verification mail', () => mailVerification(deps, user, user.email, false, language));
    res.redirect(303, accountPath(deps, '?done=verification-sent'));
  };
}
