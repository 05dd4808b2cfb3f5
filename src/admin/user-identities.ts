// A person's linked identities on their admin page (issue 23): each upstream provider or directory account linked
// to theirs (provider, the upstream's email as last seen, when linked, when last used), with "Unlink". An
// administrator may unlink any of them, the last way the person can sign in included (they can then set a password
// or send a reset link): src/manage/providers.ts unlinkIdentity with byOwner false, audited identity.unlinked with
// the administrator as actor. Not sensitive (no recent sign-in): it takes a way in away, as disabling does.
import type { Request, Response, Router } from 'express';
import { NotFoundError } from '../errors.js';
import { unlinkIdentity } from '../manage/providers.js';
import type { UserRecord } from '../store/records.js';
import { manageContext, type AdminDependencies } from './context.js';
import { providerPath } from './provider-pages.js';
import { formatTime } from './render.js';
import { userById, userPath } from './user-page.js';

/** What the user page says after an unlink. */
export const IDENTITY_NOTICES: Record<string, string> = {
  'identity-unlinked': 'The linked sign-in was removed: that provider no longer signs this person in.',
};

/** The person's linked identities, in provider name order, each with its unlink form's path. */
export async function identityViews(deps: AdminDependencies, user: UserRecord) {
  const [identities, providers] = await Promise.all([deps.store.federatedIdentities.listForUser(user.id), deps.store.identityProviders.list()]);
  const byName = new Map(providers.map((provider) => [provider.slug, provider]));
  return identities
    .map((identity) => {
      const provider = byName.get(identity.providerSlug);
      return {
        slug: identity.providerSlug,
        provider: provider?.name ?? identity.providerSlug,
        enabled: provider?.enabled ?? false,
        providerPath: providerPath(deps, identity.providerSlug),
        email: identity.email,
        linked: formatTime(identity.createdAt),
        lastUsed: identity.lastUsedAt === null ? 'never' : formatTime(identity.lastUsedAt),
        unlinkPath: userPath(deps, user.id, `/identities/${encodeURIComponent(identity.providerSlug)}/unlink`),
      };
    })
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.slug.localeCompare(b.slug));
}

/** POST /admin/users/:id/identities/:slug/unlink: the person's own link of that provider only (else 404). */
function unlinkUserIdentity(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const slug = typeof req.params.slug === 'string' ? req.params.slug : '';
    if (!(await deps.store.federatedIdentities.findForUser(user.id, slug))) throw new NotFoundError('This person has no linked sign-in with that provider. It may have been removed already.');
    await unlinkIdentity(manageContext(deps, res, req.ip), user.id, slug, { byOwner: false });
    res.redirect(303, userPath(deps, user.id, '?done=identity-unlinked'));
  };
}

export function userIdentityRoutes(router: Router, deps: AdminDependencies): void {
  router.post('/users/:id/identities/:slug/unlink', unlinkUserIdentity(deps));
}
