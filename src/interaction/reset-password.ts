// The page a password-reset link opens: a form for a new password, under the same rules as everywhere
// (NIST SP 800-63B). The link's token is used up only by a successful change, in one atomic step (exactly one of
// concurrent submissions wins). A link works only while the address it was mailed to is still the account's
// (issue 19, F1): a reset mailed to an address the account has since left hands nothing to that mailbox. A new
// password ends every way into the account the old one opened: every session (with back-channel logout), refresh
// and access token, unused code, sign-in still owing its second factor, and mailed link; the owner gets a notice.
// The pages are in the language of the account the link belongs to (its saved one, after the switcher's cookie;
// issue 25), else the browser's.
import { refuseBreached, type BreachedPasswords } from '../auth/breached-passwords.js';
import type { Request, Response } from 'express';
import { consumeLinkToken, findLinkToken, inBackground, linkStillApplies, mailPasswordChanged, RESET_LINK_LIFETIME_MS } from '../auth/account-links.js';
import { hashPassword } from '../auth/password-hash.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import type { Brand } from '../branding/brand.js';
import { ValidationError } from '../errors.js';
import { sentence } from '../http/sentence.js';
import { routes } from '../http/routes.js';
import { errorText } from '../i18n/error-text.js';
import { localeOf, preferAccount } from '../i18n/page-locale.js';
import type { SessionTerminator } from '../logout/session-end.js';
import { endAccess } from '../manage/users.js';
import { passwordKeeper } from '../federation/directory-sign-in.js';
import type { AccountTokenRecord, IdentityProviderRecord, UserRecord } from '../store/records.js';
import { browserCsrfToken, checkBrowserCsrf, field, renderLinkExpired } from './browser-csrf.js';
import type { SelfServiceDependencies } from './forgot-password.js';

export interface ResetDependencies extends SelfServiceDependencies {
  sessionEnd: SessionTerminator;
  /** BREACHED_PASSWORDS_FILE, opened; null when not configured. */
  breachedPasswords: BreachedPasswords | null;
}

const PURPOSE = 'reset-password';

const CSRF_REFUSALS = { noCookie: 'resetPassword.noCookie', expired: 'resetPassword.formExpired' };

type FieldErrors = Partial<Record<'password' | 'confirm', string>>;

function linkExpired(deps: ResetDependencies, req: Request, res: Response): void {
  const { t } = localeOf(req);
  renderLinkExpired(res, {
    title: t('linkExpired.title'),
    message: t('linkExpired.reset', { count: RESET_LINK_LIFETIME_MS / 60_000 }),
    retryPath: `${deps.config.basePath}${routes.forgotPassword}`,
    retryLabel: t('linkExpired.askNewLink'),
  });
}

function renderForm(deps: ResetDependencies, req: Request, res: Response, token: string, user: UserRecord, errors: FieldErrors, status: number): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).render('reset-password', {
    title: localeOf(req).t('resetPassword.title'),
    token,
    email: user.email,
    errors,
    passwordMinLength: deps.config.passwordMinLength,
    csrfToken: browserCsrfToken(deps.cookies, req, res, PURPOSE),
  });
}

/**
 * A directory keeps this person's password (issue 23): a link mailed before the account was linked to it sets
 * nothing (a local password would never be used, and would suggest it is). Nothing is written.
 */
function managedByDirectory(deps: ResetDependencies, req: Request, res: Response, provider: IdentityProviderRecord): void {
  const { t } = localeOf(req);
  renderLinkExpired(
    res,
    {
      title: t('resetPassword.managedTitle'),
      message: t('resetPassword.managed', { provider: provider.name }),
      retryPath: `${deps.config.basePath}${routes.login}`,
      retryLabel: t('resetPassword.signIn'),
    },
    403,
  );
}

/** The token's user, if the token is live, the account can still sign in, and its address is still the one the link went to. */
async function liveUser(deps: ResetDependencies, token: string): Promise<{ record: AccountTokenRecord; user: UserRecord } | null> {
  const record = await findLinkToken(deps, 'password_reset', token);
  const user = record ? await deps.store.users.findById(record.userId) : null;
  return record && user && !user.disabled && linkStillApplies(record, user) ? { record, user } : null;
}

/** The live link's user, unless a directory keeps their password (then refused, and answered here). */
async function resettable(deps: ResetDependencies, req: Request, res: Response, token: string): Promise<{ record: AccountTokenRecord; user: UserRecord } | null> {
  const live = await liveUser(deps, token);
  if (!live) {
    linkExpired(deps, req, res);
    return null;
  }
  // The link is this account's: its pages speak the account's language (the mail did too).
  preferAccount(req, live.user);
  const keeper = await passwordKeeper(deps.store, live.user);
  if (keeper) {
    managedByDirectory(deps, req, res, keeper);
    return null;
  }
  return live;
}

/** GET /reset-password?token=… : never uses the token (mail scanners open links too). */
export function resetPasswordPage(deps: ResetDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const live = await resettable(deps, req, res, token);
    if (!live) return;
    renderForm(deps, req, res, token, live.user, {}, 200);
  };
}

/** POST /reset-password */
export function resetPasswordSubmit(deps: ResetDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    checkBrowserCsrf(deps.cookies, req, PURPOSE, 'Open the link from the email again.', CSRF_REFUSALS);
    const token = field(req, 'token');
    const live = await resettable(deps, req, res, token);
    if (!live) return;
    const password = field(req, 'password');
    const errors: FieldErrors = {};
    try {
      checkPasswordPolicy(password, {
        email: live.user.email,
        name: live.user.name,
        minLength: deps.config.passwordMinLength,
        issuer: deps.config.issuer,
        // The name people know this service by (the brand's, issue 25): no password built from it either.
        serviceName: (res.locals as { brand?: Brand }).brand?.name,
      });
      await refuseBreached(deps.breachedPasswords, password);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // A translated refusal (password-policy.ts: `.shown('password.…')`) is already a sentence.
      errors.password = error.text ? errorText(localeOf(req).t, error) : sentence(error.message);
    }
    if (!errors.password && field(req, 'confirm') !== password) errors.confirm = localeOf(req).t('resetPassword.mismatch');
    if (errors.password || errors.confirm) {
      renderForm(deps, req, res, token, live.user, errors, 400);
      return;
    }

    const passwordHash = await hashPassword(password);
    const used = await consumeLinkToken(deps, 'password_reset', token);
    if (!used) {
      linkExpired(deps, req, res);
      return;
    }
    const ip = req.ip ?? null;
    // Written only while the account still has the address the link went to (an address changed since the form
    // was shown ended the link; one changed since it was used stops the write here). Reading the mail proved that
    // address. The store ends every other mailed link of the account with the new password.
    const user = await deps.store.users.update(live.user.id, { passwordHash, emailVerified: true }, deps.clock.now(), { onlyIfEmail: used.email });
    if (!user) {
      linkExpired(deps, req, res);
      return;
    }
    await endAccess({ store: deps.store, clock: deps.clock, passwordMinLength: deps.config.passwordMinLength, actor: user.id, ip, sessionEnd: deps.sessionEnd }, user.id, 'password_set');
    // The person proved who they are another way: the sign-in backoff an attacker may have run up is lifted.
    await deps.throttle.forget('signin', user.email);
    await deps.store.audit.append({ at: deps.clock.now(), type: 'password_reset.completed', actor: user.id, subject: user.id, ip, details: {} });
    const language = localeOf(req).language;
    inBackground(deps.logger, 'password-changed mail', () => mailPasswordChanged(deps, user, ip, language));
    res.setHeader('Cache-Control', 'no-store');
    res.render('password-reset-done', { title: localeOf(req).t('resetPassword.doneTitle'), accountPath: `${deps.config.basePath}${routes.account}` });
  };
}
