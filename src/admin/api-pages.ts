// What the APIs screens (issue 22) share: their paths under the issuer's base path, the API a path names, plain view
// models of APIs (views/admin/apis/), and rendering in the admin layout under the navigation's "APIs".
import type { Response } from 'express';
import { NotFoundError } from '../errors.js';
import { routes } from '../http/routes.js';
import type { ApiAudience, ApiRecord, ApiUse } from '../store/records.js';
import type { Store } from '../store/store.js';
import { clientsPath } from './client-pages.js';
import type { AdminDependencies } from './context.js';
import { formatTime, renderAdmin, type AdminSection } from './render.js';

/** Enough for a screen; more are a link away (keyset pagination, as the clients list). */
export const APIS_PER_PAGE = 50;

/**
 * The navigation section of these screens. AdminSection (render.ts) does not name it yet; the layout
 * (views/admin/partials/head.ejs) marks the "APIs" link current by this key.
 */
const APIS_SECTION: AdminSection = 'apis';

export function renderApis(res: Response, view: string, page: { title: string; [field: string]: unknown }, status = 200): void {
  renderAdmin(res, `apis/${view}`, { ...page, section: APIS_SECTION }, status);
}

export function apisPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/apis${suffix}`;
}

export function apiPath(deps: AdminDependencies, apiId: string, suffix = ''): string {
  return apisPath(deps, `/${encodeURIComponent(apiId)}${suffix}`);
}

/**
 * The API an admin URL names, by its id only: the screens link by id, and an identifier (a URI) in a path would
 * need escaping of its own (findApi, which takes either, is for the command line).
 */
export async function apiById(store: Store, id: string | string[] | undefined): Promise<ApiRecord> {
  const api = typeof id === 'string' && id !== '' ? await store.apis.findById(id) : null;
  if (!api) throw new NotFoundError('There is no such API. It may have been deleted.');
  return api;
}

export const AUDIENCE_LABELS: Readonly<Record<ApiAudience, string>> = {
  people: 'people (authorization code, device flow)',
  machines: 'machines (client credentials)',
  both: 'people and machines',
};

export function lifetimeText(deps: AdminDependencies, api: Pick<ApiRecord, 'tokenLifetime'>): string {
  return api.tokenLifetime === null ? `server setting (${deps.config.lifetimes.accessToken} s)` : `${api.tokenLifetime} s`;
}

export function apiView(deps: AdminDependencies, api: ApiRecord) {
  return {
    id: api.id,
    name: api.name,
    identifier: api.identifier,
    scopes: api.scopes,
    tokenLifetime: lifetimeText(deps, api),
    tokenFormat: api.tokenFormat,
    accepts: api.accepts,
    acceptsText: AUDIENCE_LABELS[api.accepts],
    created: formatTime(api.createdAt),
    updated: formatTime(api.updatedAt),
    path: apiPath(deps, api.id),
  };
}

/** A client naming an API, linked to its page, with what it may do with it in words. */
export function useView(deps: AdminDependencies, use: ApiUse) {
  return {
    name: use.name,
    clientId: use.clientId,
    path: clientsPath(deps, use.clientId),
    request: use.roles.includes('request'),
    introspect: use.roles.includes('introspect'),
    roles: [use.roles.includes('request') ? 'requests tokens' : '', use.roles.includes('introspect') ? 'introspects tokens' : ''].filter(Boolean).join(', '),
  };
}
