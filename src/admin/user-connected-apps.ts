// A person's connected apps on their admin page (issue 24): each application the person allowed (a consent) or that
// holds their refresh tokens, with the scopes it holds, when it was allowed and last used, and "Remove access":
// src/manage/consents.ts removeClientAccess by 'admin' (the consent, every code and token of that application for
// the person, back-channel logout to it), audited consent.revoked with the administrator as actor. Not sensitive (no
// recent sign-in): it takes access away, as signing out or unlinking does. The person's sessions stay.
import type { Request, Response, Router } from 'express';
import { NotFoundError } from '../errors.js';
import { connectedApps, removeClientAccess } from '../manage/consents.js';
import type { UserRecord } from '../store/records.js';
import { clientRow } from './client-pages.js';
import { manageContext, type AdminDependencies } from './context.js';
import { formatTime } from './render.js';
import { userById, userPath } from './user-page.js';

/** What the user page says after a removal. */
export const CONNECTED_APP_NOTICES: Record<string, string> = {
  'app-removed': 'The application’s access was removed: its codes and tokens for this person were revoked, and it must ask again.',
};

export interface ConnectedAppRow {
  clientId: string;
  name: string;
  clientPath: string;
  thirdParty: boolean;
  registeredDynamically: boolean;
  scopes: string;
  allowed: string;
  lastUsed: string;
  holdsTokens: boolean;
  removePath: string;
}

/** The person's connected apps, most recently used first, each with its removal form's path. */
export async function connectedAppRows(deps: AdminDependencies, user: UserRecord): Promise<ConnectedAppRow[]> {
  const apps = await connectedApps(deps, user.id);
  return apps.map((app) => {
    const { clientId, name, path, thirdParty, registeredDynamically } = clientRow(deps, app.client);
    return {
      clientId,
      name,
      clientPath: path,
      thirdParty,
      registeredDynamically,
      scopes: app.scopes.join(' '),
      allowed: app.consentedAt === null ? 'not asked' : formatTime(app.consentedAt),
      lastUsed: app.lastUsedAt === null ? 'never' : formatTime(app.lastUsedAt),
      holdsTokens: app.holdsTokens,
      removePath: userPath(deps, user.id, `/connected-apps/${encodeURIComponent(app.client.clientId)}/remove`),
    };
  });
}

/** POST /admin/users/:id/connected-apps/:client/remove: an application the person has nothing with is a 404, nothing written. */
function removeUserConnectedApp(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const clientId = typeof req.params.client === 'string' ? req.params.client : '';
    const ctx = { ...manageContext(deps, res, req.ip), sessionEnd: deps.sessionEnd };
    try {
      await removeClientAccess(ctx, user.id, clientId, { actor: ctx.actor, kind: 'admin' });
    } catch (error) {
      if (error instanceof NotFoundError) throw new NotFoundError('This person has not connected that application, or its access was removed already.');
      throw error;
    }
    res.redirect(303, userPath(deps, user.id, '?done=app-removed'));
  };
}

export function userConnectedAppRoutes(router: Router, deps: AdminDependencies): void {
  router.post('/users/:id/connected-apps/:client/remove', removeUserConnectedApp(deps));
}
