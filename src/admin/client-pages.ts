// What the client screens show: plain view models of client records (views/admin/clients/), and the one-word
// outcomes (`?done=…`) a redirect after a change carries to the page it lands on.
import type { Request } from 'express';
import { routes } from '../http/routes.js';
import type { ClientRecord } from '../store/records.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

export interface ClientRow {
  clientId: string;
  /** For links: a client id from `idp import` may hold characters that mean something in a path. */
  path: string;
  name: string;
  type: ClientRecord['clientType'];
  firstRedirectUri: string;
  redirectUriCount: number;
  created: string;
}

export interface ClientFacts extends ClientRow {
  authMethod: string;
  pkceRequired: boolean;
  requireMfa: boolean;
  /** The client's refresh reuse grace as shown, its own or the server's. */
  refreshReuseGrace: string;
  grantTypes: string;
  scopes: string;
  updated: string;
  postLogoutRedirectUris: string[];
  redirectUris: string[];
  backchannelLogoutUri: string | null;
}

/** Where the client screens live, under the issuer's base path. */
export function clientsPath(deps: AdminDependencies, clientId?: string, action?: string): string {
  const base = `${deps.config.basePath}${routes.admin}/clients`;
  if (clientId === undefined) return base;
  return `${base}/${encodeURIComponent(clientId)}${action ? `/${action}` : ''}`;
}

export function clientRow(deps: AdminDependencies, client: ClientRecord): ClientRow {
  return {
    clientId: client.clientId,
    path: clientsPath(deps, client.clientId),
    name: client.name,
    type: client.clientType,
    firstRedirectUri: client.redirectUris[0] ?? '',
    redirectUriCount: client.redirectUris.length,
    created: formatTime(client.createdAt),
  };
}

export function clientFacts(deps: AdminDependencies, client: ClientRecord): ClientFacts {
  return {
    ...clientRow(deps, client),
    authMethod: client.tokenEndpointAuthMethod,
    pkceRequired: client.pkceRequired,
    requireMfa: client.requireMfa,
    refreshReuseGrace:
      client.refreshReuseGrace === null
        ? `server setting (${deps.config.refreshReuseGrace === 0 ? 'strict rotation' : `${deps.config.refreshReuseGrace} s`})`
        : client.refreshReuseGrace === 0
          ? 'none: strict rotation'
          : `${client.refreshReuseGrace} s`,
    grantTypes: client.grantTypes.join(' '),
    scopes: client.scopes.join(' '),
    updated: formatTime(client.updatedAt),
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    backchannelLogoutUri: client.backchannelLogoutUri,
  };
}

/** The notice for `?done=<word>`; unknown words (a hand-edited URL) show nothing rather than arbitrary text. */
export function noticeFor(req: Request, notices: Record<string, string>): string | null {
  const done = req.query.done;
  return typeof done === 'string' && Object.hasOwn(notices, done) ? (notices[done] ?? null) : null;
}

/** A query parameter given once as text; anything else counts as absent. */
export function queryText(req: Request, name: string): string | null {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : null;
}
