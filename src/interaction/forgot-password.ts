// "Forgot password?": asks for an email and always answers the same way, whether or not an account has it
// (OWASP Forgot Password Cheat Sheet). If one does, it gets a single-use link (account-links.ts); the mail is
// prepared after the answer is sent, so the answer's timing does not tell either. Requests are throttled per
// address typed and per client address, like sign-ins: nobody can flood a mailbox or spray the form.
// A person whose password a directory keeps (issue 23) gets no link: the mail says where their password is
// changed instead. The page says the same thing to everyone either way. The page is in the browser's language
// (issue 25); the mail in the account's saved language, else the page's.
import type { Request, Response } from 'express';
import { inBackground, mailBrand, mailPasswordReset, recipientLocale, RESET_LINK_LIFETIME_MS, type AccountMailDependencies } from '../auth/account-links.js';
import { passwordKeeper } from '../federation/directory-sign-in.js';
import { settingsOf } from '../federation/provider-settings.js';
import { renderMail } from '../mail/templates.js';
import type { IdentityProviderRecord, UserRecord } from '../store/records.js';
import { retryAfterSeconds, type Throttle } from '../auth/throttle.js';
import { ValidationError } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import type { Language } from '../i18n/languages.js';
import { localeOf } from '../i18n/page-locale.js';
import { checkEmail } from '../manage/users.js';
import { browserCsrfToken, checkBrowserCsrf, field } from './browser-csrf.js';
import { retryWhen } from './retry-time.js';

export interface SelfServiceDependencies extends AccountMailDependencies {
  cookies: Cookies;
  throttle: Throttle;
}

const PURPOSE = 'forgot-password';

const CSRF_REFUSALS = { noCookie: 'forgotPassword.noCookie', expired: 'forgotPassword.formExpired' };

function renderForm(deps: SelfServiceDependencies, req: Request, res: Response, email: string, error: string | null, status: number): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).render('forgot-password', { title: localeOf(req).t('forgotPassword.title'), email, error, csrfToken: browserCsrfToken(deps.cookies, req, res, PURPOSE) });
}

/** Where a directory's person changes their password: the directory's own page (passwordResetUrl), if it has one. */
function directoryResetUrl(provider: IdentityProviderRecord): string | null {
  try {
    return settingsOf(provider as IdentityProviderRecord & { kind: 'ldap' }).passwordResetUrl;
  } catch {
    return null;
  }
}

/**
 * No link: "your password is managed by <directory>", with its password page when it has one. In the account's
 * language, else the page's (`pageLanguage`), like every account mail (account-links.ts).
 */
async function mailPasswordManaged(deps: SelfServiceDependencies, user: UserRecord, provider: IdentityProviderRecord, pageLanguage: Language): Promise<void> {
  const mail = await renderMail(
    'password-managed',
    { template: 'password-managed', name: user.name, issuer: deps.config.issuer, provider: provider.name, resetUrl: directoryResetUrl(provider) },
    recipientLocale(deps.config, user, pageLanguage),
    await mailBrand(deps),
  );
  await deps.mailer.send({ to: user.email, ...mail });
}

/** GET /forgot-password */
export function forgotPasswordPage(deps: SelfServiceDependencies) {
  return (req: Request, res: Response): void => {
    renderForm(deps, req, res, '', null, 200);
  };
}

/** POST /forgot-password */
export function forgotPasswordSubmit(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    checkBrowserCsrf(deps.cookies, req, PURPOSE, 'Open the page again and retry.', CSRF_REFUSALS);
    const { t, language } = localeOf(req);
    const typed = field(req, 'email');
    let email: string;
    try {
      email = checkEmail(typed);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      renderForm(deps, req, res, typed.length <= 254 ? typed : '', t('forgotPassword.enterEmail'), 400);
      return;
    }
    // Stryker disable next-line StringLiteral: equivalent; the scope only prefixes this throttle's counter keys, and no other scope is ''
    const admission = await deps.throttle.admit('reset', email, req.ip);
    if (!admission.allowed) {
      // Bounded per address (Throttle.mayAuditRefusal), like throttled sign-ins.
      // Stryker disable next-line StringLiteral: equivalent; the scope only prefixes this budget's counter key, and no other scope is ''
      if (await deps.throttle.mayAuditRefusal('reset_refusal_audit', req.ip)) {
        await deps.store.audit.append({
          at: deps.clock.now(),
          type: 'password_reset.throttled',
          actor: 'anonymous',
          subject: null,
          ip: req.ip ?? null,
          outcome: 'failure',
          details: { by: admission.by },
        });
      } else {
        req.log.info({ by: admission.by }, 'password-reset request throttled');
      }
      res.setHeader('Retry-After', String(retryAfterSeconds(admission.retryAt, deps.clock.now())));
      renderForm(deps, req, res, email, t('forgotPassword.throttled', { when: retryWhen(language, admission.retryAt, deps.clock.now()) }), 429);
      return;
    }
    const ip = req.ip ?? null;
    inBackground(deps.logger, 'password-reset mail', async () => {
      const user = await deps.store.users.findByEmail(email);
      // A disabled account cannot sign in with any password: no link would help, and none is sent.
      if (!user || user.disabled) return;
      const keeper = await passwordKeeper(deps.store, user);
      if (keeper) {
        await mailPasswordManaged(deps, user, keeper, language);
        await deps.store.audit.append({ at: deps.clock.now(), type: 'password_reset.requested', actor: 'anonymous', subject: user.id, ip, details: { provider: keeper.slug, link: false } });
        return;
      }
      // The page was in `language`: so is the mail, unless the account saved another.
      await mailPasswordReset(deps, user, language);
      await deps.store.audit.append({ at: deps.clock.now(), type: 'password_reset.requested', actor: 'anonymous', subject: user.id, ip, details: {} });
    });
    res.setHeader('Cache-Control', 'no-store');
    res.render('forgot-password-sent', { title: t('forgotPassword.sentTitle'), email, minutes: RESET_LINK_LIFETIME_MS / 60_000 });
  };
}
