// Deleting a provider (issue 23): a confirmation page that says how many accounts are linked to it (each loses that
// way to sign in; an account made at a first sign-in may have no other), then a sensitive POST (a recent sign-in).
// The links and the sign-ins in progress go with it (ON DELETE CASCADE); the accounts stay.
import type { Request, Response } from 'express';
import { deleteProvider } from '../manage/providers.js';
import type { AdminDependencies } from './context.js';
import { providerBySlug, providerContext, providerPath, providersPath, recordRow, renderProviders, type ProviderDependencies } from './provider-pages.js';

/** GET /admin/providers/:slug/delete */
export function deleteProviderPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await providerBySlug(deps.store, req.params.slug);
    const linked = (await deps.store.identityProviders.linkCounts()).get(provider.slug) ?? 0;
    renderProviders(res, 'delete', {
      title: `Delete ${provider.name}`,
      provider: recordRow(deps, provider, linked),
      action: providerPath(deps, provider.slug, '/delete'),
      cancel: providerPath(deps, provider.slug),
    });
  };
}

/** POST /admin/providers/:slug/delete (behind requireRecentSignIn) */
export function deleteProviderSubmit(deps: ProviderDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await providerBySlug(deps.store, req.params.slug);
    await deleteProvider(providerContext(deps, res, req.ip), provider.slug);
    res.redirect(303, providersPath(deps, '?done=deleted'));
  };
}
