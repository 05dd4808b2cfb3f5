// The page an email-verification link opens. Opening it changes nothing: the person confirms with a button
// (a POST), because mail scanners fetch links too, and an address must not be verified, or an account moved
// to it, by a machine that merely read the mail. Two kinds of link open it (issue 19, F1): one that verifies the
// account's own address, which works only while the account still has that address, and one that moves the account
// to the new address it was sent to; a link that no longer fits the account is answered as an expired one.
// The pages are in the language of the account the link belongs to (issue 25), else the browser's.
import type { Request, Response } from 'express';
import { consumeLinkToken, findLinkToken, linkStillApplies, VERIFICATION_LINK_LIFETIME_MS } from '../auth/account-links.js';
import { confirmEmail } from '../auth/email-verification.js';
import { routes } from '../http/routes.js';
import { localeOf, preferAccount } from '../i18n/page-locale.js';
import type { AccountTokenPurpose, AccountTokenRecord } from '../store/records.js';
import { browserCsrfToken, checkBrowserCsrf, field, renderLinkExpired } from './browser-csrf.js';
import type { SelfServiceDependencies } from './forgot-password.js';

const PURPOSE = 'verify-email';

const CSRF_REFUSALS = { noCookie: 'verifyEmail.noCookie', expired: 'verifyEmail.formExpired' };

/** The links this page takes: a verification of the account's address, and a change to a new one. */
const LINK_PURPOSES: readonly AccountTokenPurpose[] = ['email_verification', 'email_change'];

function linkExpired(deps: SelfServiceDependencies, req: Request, res: Response): void {
  const { t } = localeOf(req);
  renderLinkExpired(res, {
    title: t('linkExpired.title'),
    message: t('linkExpired.verification', { count: VERIFICATION_LINK_LIFETIME_MS / 3_600_000 }),
    retryPath: `${deps.config.basePath}${routes.account}`,
    retryLabel: t('linkExpired.askFromAccount'),
  });
}

/**
 * The link's live token, if the account can still sign in and the link still fits it (linkStillApplies). The
 * page then speaks the account's language.
 */
async function liveToken(deps: SelfServiceDependencies, req: Request, token: string): Promise<AccountTokenRecord | null> {
  const record = await findLinkToken(deps, LINK_PURPOSES, token);
  const user = record ? await deps.store.users.findById(record.userId) : null;
  if (!record || !user || user.disabled || !linkStillApplies(record, user)) return null;
  preferAccount(req, user);
  return record;
}

/** GET /verify-email?token=… */
export function verifyEmailPage(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const record = await liveToken(deps, req, token);
    if (!record) {
      linkExpired(deps, req, res);
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    const { t } = localeOf(req);
    res.render('verify-email', {
      title: record.purpose === 'email_change' ? t('verifyEmail.changeTitle') : t('verifyEmail.title'),
      email: record.email,
      token,
      csrfToken: browserCsrfToken(deps.cookies, req, res, PURPOSE),
    });
  };
}

/** POST /verify-email */
export function verifyEmailSubmit(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    checkBrowserCsrf(deps.cookies, req, PURPOSE, 'Open the link from the email again.', CSRF_REFUSALS);
    const token = field(req, 'token');
    const live = await liveToken(deps, req, token);
    if (!live) {
      linkExpired(deps, req, res);
      return;
    }
    const used = await consumeLinkToken(deps, live.purpose, token);
    if (!used) {
      linkExpired(deps, req, res);
      return;
    }
    // confirmEmail checks again what the link may do, against the account as it is when it writes.
    // The mail to the old address (a change) follows the account's language, else this page's.
    const result = await confirmEmail(deps, used, req.ip ?? null, localeOf(req).language);
    const { t } = localeOf(req);
    if (result.outcome === 'unavailable') {
      renderLinkExpired(
        res,
        {
          title: t('verifyEmail.notChangedTitle'),
          message: t(result.text.key, result.text.values),
          retryPath: `${deps.config.basePath}${routes.account}`,
          retryLabel: t('verifyEmail.goToAccount'),
        },
        409,
      );
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.render('email-verified', {
      title: t('verifyEmail.doneTitle'),
      email: result.user.email,
      changed: result.outcome === 'changed',
      accountPath: `${deps.config.basePath}${routes.account}`,
    });
  };
}
