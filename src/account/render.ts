// The account page: the applications the person can open from it, their details, the forms to change them,
// the applications connected to the account (issue 24), their sessions and their security events.
// Every answer about the account (the page itself, a form sent back with its errors, a notice) is rendered
// here, so a form with errors comes back on the full page with the other sections as they are. The page is in the
// person's language (issue 25: requireAccount told localeOf their saved one); times are given to the views as ms
// and shown with `dates` (their language and time zone).
import type { Request, Response } from 'express';
import { accountPath } from './access.js';
import { accountOf, type AccountDependencies } from './context.js';
import { noticeOf, type FieldErrors } from './forms.js';
import { clientNamer, securityEvents } from './security-events.js';
import { sessionViews } from './sessions.js';
import { twoFactorPaths, twoFactorView } from './two-factor-view.js';
import { passkeyPaths, passkeyViews } from './passkeys.js';
import { preferencesView } from './preferences.js';
import { localeOf } from '../i18n/page-locale.js';
import { imagePolicy } from '../http/middleware/security-headers.js';
import { yourApplications } from './applications.js';
import { yourDetails } from './details.js';
import { connectedAppsOf } from './connected-apps.js';

/** What the forms show: the account as stored, or what was posted when a form comes back with errors. Never a password. */
export interface FormValues {
  name: string;
  email: string;
}

export interface PageState {
  values?: Partial<FormValues>;
  /** Errors by form (`name`, `email`, `password`), then by field. */
  errors?: { name?: FieldErrors; email?: FieldErrors; password?: FieldErrors; twoFactor?: FieldErrors; passkeys?: FieldErrors; preferences?: FieldErrors };
  /** What a refused "Language and region" form posted. */
  preferences?: { lang: string; timeZone: string };
  /** Tells what a POST just did, when it is answered with the page rather than a redirect. */
  notice?: string | null;
}

export async function renderAccountPage(deps: AccountDependencies, req: Request, res: Response, state: PageState = {}, status = 200): Promise<void> {
  const { user, session, csrfToken } = accountOf(res);
  const locale = localeOf(req);
  const { t } = locale;
  const clientName = clientNamer(deps.store, t);
  const [sessions, events, twoFactor, passkeys, applications, details, connectedApps] = await Promise.all([
    sessionViews(deps.store, user.id, session.idHash, deps.clock.now(), clientName),
    securityEvents(deps.store, t, user.id, clientName),
    twoFactorView(deps.store, user.id),
    passkeyViews(deps.store, user.id),
    yourApplications(deps.store, deps.config.issuer, user),
    yourDetails(deps.store, user.id),
    connectedAppsOf(deps, user, locale),
  ]);
  const errors = { name: {}, email: {}, password: {}, twoFactor: {}, passkeys: {}, preferences: {}, ...state.errors };
  const path = (suffix: string) => accountPath(deps, suffix);
  // The applications' logos come from their own servers: the page's policy admits those origins, and no other.
  const logos = [...applications, ...connectedApps.apps].flatMap((application) => (application.logoUri === null ? [] : [application.logoUri]));
  if (logos.length > 0) res.setHeader('Content-Security-Policy', imagePolicy(res, logos));
  res.status(status).render('account/index', {
    title: t('account.title'),
    csrfToken,
    user: { name: user.name, email: user.email, emailVerified: user.emailVerified, created: user.createdAt },
    values: { name: user.name ?? '', email: '', ...state.values },
    errors,
    // The first refusal, also at the top of the page (announced and focused: views/partials/error-summary.ejs).
    firstError: firstError(errors),
    // A form sent back with errors is about that form, not about the change the query string reported.
    notice: state.notice ?? (status === 200 ? noticeOf(req, t) : null),
    preferences: preferencesView(deps, req, user, state.preferences),
    passwordMinLength: deps.config.passwordMinLength,
    currentSid: session.sid,
    paths: {
      name: path('/name'),
      email: path('/email'),
      verification: path('/email/verification'),
      password: path('/password'),
      signOut: path('/sessions/sign-out'),
      signOutAll: path('/sessions/sign-out-all'),
      ...twoFactorPaths(deps),
      ...passkeyPaths(deps),
    },
    twoFactor,
    passkeys,
    sessions,
    events,
    applications,
    details,
    connectedApps,
  });
}

/** The first message of the forms' errors (a page comes back with one form's), or null. */
function firstError(errors: Record<string, FieldErrors>): string | null {
  for (const form of Object.values(errors)) {
    for (const [field, message] of Object.entries(form)) if (field !== 'credential_id' && message) return message;
  }
  return null;
}

/** GET /account */
export function accountPage(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await renderAccountPage(deps, req, res);
  };
}
