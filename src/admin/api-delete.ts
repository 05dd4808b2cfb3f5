// Deleting an API (issue 22): a confirmation page that names the clients granted it (store.apis.usesOf: those that
// request its tokens and those that introspect them), then a sensitive POST (a recent sign-in). The grants go with
// it: those clients can no longer request tokens for it, and a refresh naming it is refused (invalid_target).
import type { Request, Response } from 'express';
import { deleteApi } from '../manage/apis.js';
import { apiById, apiPath, apisPath, apiView, renderApis, useView } from './api-pages.js';
import { manageContext, type AdminDependencies } from './context.js';

/** GET /admin/apis/:id/delete */
export function deleteApiPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const api = await apiById(deps.store, req.params.id);
    const uses = await deps.store.apis.usesOf(api.id);
    renderApis(res, 'delete', {
      title: `Delete ${api.name}`,
      api: apiView(deps, api),
      uses: uses.map((use) => useView(deps, use)),
      action: apiPath(deps, api.id, '/delete'),
      cancel: apiPath(deps, api.id),
    });
  };
}

/** POST /admin/apis/:id/delete (behind requireRecentSignIn) */
export function deleteApiSubmit(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const api = await apiById(deps.store, req.params.id);
    await deleteApi(manageContext(deps, res, req.ip), api.id);
    res.redirect(303, apisPath(deps, '?done=deleted'));
  };
}
