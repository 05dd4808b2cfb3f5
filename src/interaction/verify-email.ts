// The page an email-verification link opens. Opening it changes nothing: the person confirms with a button
// (a POST), because mail scanners fetch links too, and an address must not be verified, or an account moved
// to it, by a machine that merely read the mail.
import type { Request, Response } from 'express';
import { consumeLinkToken, findLinkToken } from '../auth/account-links.js';
import { confirmEmail } from '../auth/email-verification.js';
import { routes } from '../http/routes.js';
import type { AccountTokenRecord } from '../store/records.js';
import { browserCsrfToken, checkBrowserCsrf, field, renderLinkExpired } from './browser-csrf.js';
import type { SelfServiceDependencies } from './forgot-password.js';

const PURPOSE = 'verify-email';

function linkExpired(deps: SelfServiceDependencies, res: Response): void {
  renderLinkExpired(res, {
    title: 'This link no longer works',
    message: 'This verification link has expired, was already used, or was replaced by a newer one. Links work once, for 24 hours.',
    retryPath: `${deps.config.basePath}${routes.account}`,
    retryLabel: 'Ask for a new link from your account page',
  });
}

async function liveToken(deps: SelfServiceDependencies, token: string): Promise<AccountTokenRecord | null> {
  const record = await findLinkToken(deps, 'email_verification', token);
  const user = record ? await deps.store.users.findById(record.userId) : null;
  return record && user && !user.disabled ? record : null;
}

/** GET /verify-email?token=… */
export function verifyEmailPage(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const record = await liveToken(deps, token);
    if (!record) return linkExpired(deps, res);
    res.setHeader('Cache-Control', 'no-store');
    res.render('verify-email', { title: 'Confirm your email address', email: record.email, token, csrfToken: browserCsrfToken(deps.cookies, req, res, PURPOSE) });
  };
}

/** POST /verify-email */
export function verifyEmailSubmit(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    checkBrowserCsrf(deps.cookies, req, PURPOSE, 'Open the link from the email again.');
    const token = field(req, 'token');
    if (!(await liveToken(deps, token))) return linkExpired(deps, res);
    const used = await consumeLinkToken(deps, 'email_verification', token);
    if (!used) return linkExpired(deps, res);
    const result = await confirmEmail(deps, used, req.ip ?? null);
    if (result.outcome === 'unavailable') {
      renderLinkExpired(res, { title: 'Address not changed', message: result.reason, retryPath: `${deps.config.basePath}${routes.account}`, retryLabel: 'Go to your account' }, 409);
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.render('email-verified', {
      title: 'Email address confirmed', email: result.user.email, changed: result.outcome === 'changed', accountPath: `${deps.config.basePath}${routes.account}`,
    });
  };
}
