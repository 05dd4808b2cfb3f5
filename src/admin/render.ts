// Renders an admin page with what the shared layout (views/admin/partials/head.ejs) needs: the administrator,
// the CSRF token for every form, which section of the navigation is current, and whether sensitive forms must
// ask for the password.
import type { Response } from 'express';
import { adminOf } from './context.js';

export type AdminSection = 'dashboard' | 'users' | 'groups' | 'attributes' | 'clients' | 'registration' | 'apis' | 'providers' | 'keys' | 'branding' | 'webhooks' | 'audit';

export interface AdminPage {
  title: string;
  section: AdminSection;
  [field: string]: unknown;
}

export function renderAdmin(res: Response, view: string, page: AdminPage, status = 200): void {
  const admin = adminOf(res);
  res.status(status).render(`admin/${view}`, {
    ...page,
    me: { id: admin.user.id, email: admin.user.email, name: admin.user.name },
    csrfToken: admin.csrfToken,
    needsPassword: !admin.recentSignIn,
  });
}

/** Formats a time for the admin pages: UTC, to the second, the same on every screen. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}
