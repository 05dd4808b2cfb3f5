// The answer to a person whom an application's access rule refuses (issue 21; src/auth/access-rules.ts): a page of
// ours, 403, "You don't have access to <application>", naming whom to ask, with a way back to the application that
// tells it so: its redirect URI with error=access_denied, its state and our issuer (RFC 6749 §4.1.2.1, RFC 9207),
// built by the same code as every other authorization error redirect (oidc/authorization-response.ts). A page
// first, not the redirect alone: the application would only learn "access denied", and the person needs to know
// whom to ask. Shown at the end of a sign-in (access-step.ts) and on a single sign-on answer (oidc/authorize.ts);
// prompt=none, where no page may be shown (OIDC Core §3.1.2.1), gets the redirect at once.
// The page and the script's message are in the page's language (issue 25); a contact the operator or the
// application named is shown as they wrote it, the default one ("your administrator") translated.
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import { AccessDenied } from '../errors.js';
import type { Translate } from '../i18n/catalog.js';
import { localeOf } from '../i18n/page-locale.js';
import type { RedirectTarget } from '../oidc/authorization-request.js';
import { errorRedirect } from '../oidc/authorization-response.js';
import type { ClientRecord, UserRecord } from '../store/records.js';

export function accessDenied(): AccessDenied {
  return new AccessDenied('the user is not allowed to use this application');
}

/** Whom to ask when neither the application nor the operator (ACCESS_CONTACT) named anyone. */
export const DEFAULT_ACCESS_CONTACT = 'your administrator';

/**
 * The application's own contact, else the server's ACCESS_CONTACT, else "your administrator" (`fallback`: that
 * phrase in the page's language, t('accessDenied.yourAdministrator')).
 */
export function accessContact(config: Pick<Config, 'accessContact'>, client: Pick<ClientRecord, 'accessContact'>, fallback: string = DEFAULT_ACCESS_CONTACT): string {
  // An empty contact names nobody: the next one is asked.
  return client.accessContact || config.accessContact || fallback;
}

function contactIn(t: Translate, config: Pick<Config, 'accessContact'>, client: Pick<ClientRecord, 'accessContact'>): string {
  return accessContact(config, client, t('accessDenied.yourAdministrator'));
}

/** The sentence a script shows where no page can be (a passkey sign-in answers JSON), in the page's language. */
export function accessDeniedMessage(req: Request, config: Pick<Config, 'accessContact'>, client: Pick<ClientRecord, 'name' | 'accessContact'>): string {
  const { t } = localeOf(req);
  return t('accessDenied.message', { app: client.name, contact: contactIn(t, config, client) });
}

/**
 * The page (403, never cached). `target` is the request's registered redirect URI and state: the link back
 * carries error=access_denied, the state and our issuer.
 */
export function renderAccessDenied(
  deps: { config: Config },
  req: Request,
  res: Response,
  client: Pick<ClientRecord, 'clientId' | 'name' | 'accessContact'>,
  user: Pick<UserRecord, 'email'>,
  target: RedirectTarget,
): void {
  // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only
  req.log.info({ clientId: client.clientId }, 'sign-in refused by the access rule');
  res.setHeader('Cache-Control', 'no-store');
  const { t } = localeOf(req);
  res.status(403).render('access-denied', {
    title: t('accessDenied.title', { app: client.name }),
    clientName: client.name,
    email: user.email,
    contact: contactIn(t, deps.config, client),
    backUrl: errorRedirect(deps.config, accessDenied(), target),
  });
}
