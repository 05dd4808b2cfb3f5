// What the client screens show: plain view models of client records (views/admin/clients/), and the one-word
// outcomes (`?done=…`) a redirect after a change carries to the page it lands on.
import type { Request } from 'express';
import { routes } from '../http/routes.js';
import { describeKey, jwksKeys } from '../manage/client-keys.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type ClientApiAccess, type ClientRecord } from '../store/records.js';
import { apiPath } from './api-pages.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

/** What a client is for (issue 22), by its grant types, fixed at registration. */
export type ClientKind = 'browser' | 'machine' | 'device' | 'browser-device';

export interface ClientRow {
  clientId: string;
  /** For links: a client id from `idp import` may hold characters that mean something in a path. */
  path: string;
  name: string;
  type: ClientRecord['clientType'];
  kind: ClientKind;
  firstRedirectUri: string;
  redirectUriCount: number;
  created: string;
  /** A third party's application: consent is asked (issue 24). */
  thirdParty: boolean;
  /** Registered by a stranger through POST /register (RFC 7591), not by an administrator. */
  registeredDynamically: boolean;
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
  /** Authenticates with its key (private_key_jwt) rather than a secret. */
  privateKeyJwt: boolean;
  /** Its registered keys, each described ("RSA 2048 RS256 kid=…"): never the key material itself. */
  keys: string[];
  jwksUri: string | null;
  /** RFC 7591 §2 client_uri, policy_uri, tos_uri: what the consent screen links to (issue 24). */
  clientUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  /** Issue 28 (RFC 9126 §6): whether its requests must be pushed, as shown: by itself, by the server (REQUIRE_PAR), or not. */
  pushedRequests: string;
  /** Issue 28 (RFC 9449 §5.2): every token request must carry a DPoP proof. */
  dpopBound: boolean;
}

/** One API grant of a client as its page shows it. */
export interface ClientApiFact {
  name: string;
  identifier: string;
  path: string;
  role: ClientApiAccess['role'];
  /** The scopes it may ask for; null: all the API defines, now and later. */
  scopes: string[] | null;
}

export function clientKind(client: Pick<ClientRecord, 'grantTypes'>): ClientKind {
  if (client.grantTypes.includes(CLIENT_CREDENTIALS_GRANT)) return 'machine';
  if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) return 'browser';
  return client.grantTypes.includes('authorization_code') ? 'browser-device' : 'device';
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
    kind: clientKind(client),
    firstRedirectUri: client.redirectUris[0] ?? '',
    redirectUriCount: client.redirectUris.length,
    created: formatTime(client.createdAt),
    thirdParty: client.thirdParty,
    registeredDynamically: client.origin === 'dynamic',
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
    privateKeyJwt: client.tokenEndpointAuthMethod === 'private_key_jwt',
    keys: jwksKeys(client.jwks).map(describeKey),
    jwksUri: client.jwksUri,
    clientUri: client.clientUri,
    policyUri: client.policyUri,
    tosUri: client.tosUri,
    pushedRequests: client.requirePushedAuthorizationRequests ? 'required' : deps.config.requirePar ? 'required by the server (REQUIRE_PAR)' : 'not required',
    dpopBound: client.dpopBoundAccessTokens,
  };
}

export function clientApiFacts(deps: AdminDependencies, access: readonly ClientApiAccess[]): ClientApiFact[] {
  return access.map((grant) => ({ name: grant.api.name, identifier: grant.api.identifier, path: apiPath(deps, grant.apiId), role: grant.role, scopes: grant.scopes }));
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
