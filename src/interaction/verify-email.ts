// The page an email-verification link opens. Opening it changes nothing: the person confirms with a button
// (a POST), because mail scanners fetch links too, and an address must not be verified, or an account moved
// to it, by a machine that merely read the mail. Two kinds of link open it (issue 19, F1): one that verifies the
// account's own address, which works only while the account still has that address, and one that moves the account
// to the new address it was sent to; a link that no longer fits the account is answered as an expired one.
import type { Request, Response } from 'express';
import { consumeLinkToken, findLinkToken, linkStillApplies } from '../auth/account-links.js';
import { confirmEmail } from '../auth/email-verification.js';
import { routes } from '../http/routes.js';
import type { AccountTokenPurpose, AccountTokenRecord } from '../store/records.js';
import { browserCsrfToken, checkBrowserCsrf, field, renderLinkExpired } from './browser-csrf.js';
import type { SelfServiceDependencies } from './forgot-password.js';

const PURPOSE = 'verify-email';

/** The links this page takes: a verification of the account's address, and a change to a new one. */
const LINK_PURPOSES: readonly AccountTokenPurpose[] = ['email_verification', 'email_change'];

function linkExpired(deps: SelfServiceDependencies, res: Response): void {
  renderLinkExpired(res, {
    title: 'This link no longer works',
    message: 'This verification link has expired, was already used, or was replaced by a newer one. Links work once, for 24 hours.',
    retryPath: `${deps.config.basePath}${routes.account}`,
    retryLabel: 'Ask for a new link from your account page',
  });
}

/** The link's live token, if the account can still sign in and the link still fits it (linkStillApplies). */
async function liveToken(deps: SelfServiceDependencies, token: string): Promise<AccountTokenRecord | null> {
  const record = await findLinkToken(deps, LINK_PURPOSES, token);
  const user = record ? await deps.store.users.findById(record.userId) : null;
  return record && user && !user.disabled && linkStillApplies(record, user) ? record : null;
}

/** GET /verify-email?token=… */
export function verifyEmailPage(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const record = await liveToken(deps, token);
    if (!record) {
      linkExpired(deps, res);
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    const change = record.purpose === 'email_change';
    res.render('verify-email', {
      title: change ? 'Confirm your new email address' : 'Confirm your email address',
      email: record.email,
      token,
      csrfToken: browserCsrfToken(deps.cookies, req, res, PURPOSE),
    });
  };
}

/** POST /verify-email */
export function verifyEmailSubmit(deps: SelfServiceDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    checkBrowserCsrf(deps.cookies, req, PURPOSE, 'Open the link from the email again.');
    const token = field(req, 'token');
    const live = await liveToken(deps, token);
    if (!live) {
      linkExpired(deps, res);
      return;
    }
    const used = await consumeLinkToken(deps, live.purpose, token);
    if (!used) {
      linkExpired(deps, res);
      return;
    }
    // confirmEmail checks again what the link may do, against the account as it is when it writes.
    const result = await confirmEmail(deps, used, req.ip ?? null);
    if (result.outcome === 'unavailable') {
      renderLinkExpired(res, { title: 'Address not changed', message: result.reason, retryPath: `${deps.config.basePath}${routes.account}`, retryLabel: 'Go to your account' }, 409);
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.render('email-verified', {
      title: 'Email address confirmed',
      email: result.user.email,
      changed: result.outcome === 'changed',
      accountPath: `${deps.config.basePath}${routes.account}`,
    });
  };
}
