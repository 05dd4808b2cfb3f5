// The admin home: how many people, applications, APIs and live sessions there are, and how sign-ins went in the
// last 24 hours, with the newest audit events.
import type { Request, Response } from 'express';
import type { AdminDependencies } from './context.js';
import { eventRows } from './audit-view.js';
import { renderAdmin } from './render.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export function dashboardPage(deps: AdminDependencies) {
  return async (_req: Request, res: Response): Promise<void> => {
    const now = deps.clock.now();
    const since = now - DAY_MS;
    const [users, clients, apis, sessions, signIns, failures, recent] = await Promise.all([
      deps.store.users.count(),
      deps.store.clients.count(),
      deps.store.apis.count(),
      deps.store.sessions.countLive(now),
      deps.store.audit.count({ type: 'signin.succeeded', since }),
      deps.store.audit.count({ type: 'signin.failed', since }),
      deps.store.audit.list({ limit: 10 }),
    ]);
    renderAdmin(res, 'dashboard', {
      title: 'Dashboard',
      section: 'dashboard',
      counts: { users, clients, apis, sessions, signIns, failures },
      recent: await eventRows(deps, recent),
    });
  };
}
