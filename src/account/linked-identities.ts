// The person's linked sign-in providers on the account page (issue 23): each upstream provider or directory account
// linked to theirs (provider, the upstream's email as last seen, when linked, when last used), with "Remove". Only
// the person's own links can be named: the provider slug posted is looked up among this account's links, so a POST
// naming someone else's link finds nothing and changes nothing. Removing the last way the person can sign in (no
// usable password, no passkey, no other link) is refused: src/manage/providers.ts unlinkIdentity with byOwner true,
// audited identity.unlinked.
//
// The password section depends on it too: an account made at a first federated sign-in has no password
// (hasPassword false), so instead of asking for a current password that does not exist the page points to "Forgot
// password" to set one; a person linked to an enabled directory has their password there, and changing it here is
// refused (the directory alone decides: the local password is never tried).
//
// The section's data is put on `res.locals.linkedSignIn` for every account route (the page is rendered from several
// handlers: src/account/render.ts renderAccountPage), so a form sent back with errors shows it as it is.
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { routes } from '../http/routes.js';
import { unlinkIdentity } from '../manage/providers.js';
import type { IdentityProviderRecord, UserRecord } from '../store/records.js';
import { accountPath } from './access.js';
import { accountOf, type AccountDependencies } from './context.js';
import { parseAccountForm, refusalText } from './forms.js';
import type { Translate } from '../i18n/catalog.js';
import { localeOf } from '../i18n/page-locale.js';
import { renderAccountPage } from './render.js';
import { settingsOf } from '../federation/provider-settings.js';

export interface LinkedIdentityView {
  slug: string;
  provider: string;
  email: string | null;
  /** When (ms); the view shows it in the person's language and time zone. */
  linked: number;
  lastUsed: number | null;
}

/** What the account page's "Linked sign-in providers" and "Password" sections show (views/account/partials). */
export interface LinkedSignIn {
  identities: LinkedIdentityView[];
  removePath: string;
  /** False for an account made at a first federated sign-in: it has no password anyone knows. */
  hasPassword: boolean;
  /** The enabled directory that holds this person's password, if any. */
  directory: { name: string; passwordResetUrl: string | null } | null;
  forgotPasswordPath: string;
  /** What `?done=` says about this section. */
  notice: string | null;
  /** A refused removal. */
  error: string | null;
  /** A refused password change. */
  passwordError: string | null;
}

const NOTICES: Record<string, (t: Translate) => string> = {
  'identity-removed': (t) => t('account.notices.identityRemoved'),
};

const removeSchema = z.object({ provider: z.string().max(100).default('') });

/** The directory (an enabled LDAP provider linked to the account) whose password is this person's, if any. */
function directoryOf(providers: Map<string, IdentityProviderRecord>, slugs: readonly string[]): LinkedSignIn['directory'] {
  for (const slug of slugs) {
    const provider = providers.get(slug);
    if (provider?.kind !== 'ldap' || !provider.enabled) continue;
    let passwordResetUrl: string | null = null;
    try {
      passwordResetUrl = settingsOf(provider as IdentityProviderRecord & { kind: 'ldap' }).passwordResetUrl;
    } catch {
      // A row edited by hand: the page still says who holds the password, without a link.
    }
    return { name: provider.name, passwordResetUrl };
  }
  return null;
}

export async function linkedSignInOf(deps: AccountDependencies, req: Request, user: UserRecord): Promise<LinkedSignIn> {
  const { t } = localeOf(req);
  const [identities, list] = await Promise.all([deps.store.federatedIdentities.listForUser(user.id), deps.store.identityProviders.list()]);
  const providers = new Map(list.map((provider) => [provider.slug, provider]));
  const done = req.method === 'GET' ? req.query.done : undefined;
  return {
    identities: identities
      .map((identity) => ({
        slug: identity.providerSlug,
        provider: providers.get(identity.providerSlug)?.name ?? identity.providerSlug,
        email: identity.email,
        linked: identity.createdAt,
        lastUsed: identity.lastUsedAt,
      }))
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.slug.localeCompare(b.slug)),
    removePath: accountPath(deps, '/identities/remove'),
    hasPassword: user.hasPassword,
    directory: directoryOf(
      providers,
      identities.map((identity) => identity.providerSlug),
    ),
    forgotPasswordPath: `${deps.config.basePath}${routes.forgotPassword}`,
    notice: typeof done === 'string' && Object.hasOwn(NOTICES, done) ? (NOTICES[done]?.(t) ?? null) : null,
    error: null,
    passwordError: null,
  };
}

/** Puts the section's data on res.locals (after requireAccount). */
export function linkedSignIn(deps: AccountDependencies) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    res.locals.linkedSignIn = await linkedSignInOf(deps, req, accountOf(res).user);
    next();
  };
}

function sectionOf(res: Response): LinkedSignIn {
  const section = res.locals.linkedSignIn as LinkedSignIn | undefined;
  // Only reachable if a route were mounted without linkedSignIn: fail closed.
  if (!section) throw new Error('account route reached without linkedSignIn');
  return section;
}

/** POST /account/identities/remove (`provider`: the slug of one of this account's links). */
export function removeIdentity(deps: AccountDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const { user } = accountOf(res);
    const { provider: slug } = parseAccountForm(removeSchema, req);
    // This account's link only: anyone else's is not found here, and nothing is written.
    if (slug === '' || !(await deps.store.federatedIdentities.findForUser(user.id, slug))) {
      throw new NotFoundError('That provider is not linked to your account. It may have been removed already.').shown('account.errors.notLinked');
    }
    try {
      await unlinkIdentity({ store: deps.store, clock: deps.clock, passwordMinLength: deps.config.passwordMinLength, actor: user.id, ip: req.ip ?? null }, user.id, slug, { byOwner: true });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // The one refusal of unlinkIdentity for the owner: it is the last way they can sign in.
      const { t } = localeOf(req);
      sectionOf(res).error = error.text ? refusalText(t, error) : t('account.errors.lastWayToSignIn');
      await renderAccountPage(deps, req, res, {}, 409);
      return;
    }
    res.redirect(303, accountPath(deps, '?done=identity-removed'));
  };
}

/**
 * Before POST /account/password: a person without a password is pointed to "Forgot password" (there is no current
 * password to ask for), and a person whose password a directory holds is told to change it there. Either writes
 * nothing; anyone else goes on to the form's handler.
 */
export function passwordHeldHere(deps: AccountDependencies) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const section = sectionOf(res);
    const { t } = localeOf(req);
    let refusal: string | null = null;
    if (section.directory) refusal = t('account.errors.passwordAtDirectory', { provider: section.directory.name });
    else if (!section.hasPassword) refusal = t('account.errors.noPassword');
    if (refusal === null) {
      next();
      return;
    }
    section.passwordError = refusal;
    await renderAccountPage(deps, req, res, {}, 409);
  };
}
