// What a client may do with the APIs (issue 22): ask for tokens for an API ('request', with all of its scopes or a
// listed few) or introspect the tokens minted for it ('introspect': the API's own credentials, RFC 7662 §4). Shared
// by `idp client create --api`, `idp client set-apis` and the admin screens. The grants are read again on every
// token request (src/oidc/resource.ts apiTarget), so a change here applies to the next one.
import { NotFoundError, ValidationError } from '../errors.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type ClientApiAccess, type ClientApiGrant, type ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { findApi } from './apis.js';
import { audit, type ManageContext } from './users.js';

export interface ClientApiSettings {
  /** The APIs (by identifier or id) the client may ask tokens for, with the scopes it may ask for (null: all, now and later). */
  request: { api: string; scopes: string[] | null }[];
  /** The APIs (by identifier or id) whose tokens the client may introspect. */
  introspect: string[];
}

export const NO_APIS: ClientApiSettings = { request: [], introspect: [] };

/** `URI` (every scope the API defines, now and later) or `URI scope1 scope2` (those only), as `--api` takes it. */
export function parseApiArgument(text: string): { api: string; scopes: string[] | null } {
  const [api, ...scopes] = text.trim().split(/\s+/);
  if (!api) throw new ValidationError('apis', 'name an API by its identifier (and, after a space, the scopes the client may ask for)');
  return { api, scopes: scopes.length === 0 ? null : [...new Set(scopes)] };
}

/** What a client is, as far as its API grants are concerned: its type and its grants (fixed at registration). */
export type ClientKind = Pick<ClientRecord, 'clientType' | 'grantTypes'>;

/** A machine's tokens come from client_credentials; a person's from the authorization code or device grant. */
const servesMachines = (client: ClientKind) => client.grantTypes.includes(CLIENT_CREDENTIALS_GRANT);
const servesPeople = (client: ClientKind) => client.grantTypes.includes('authorization_code') || client.grantTypes.includes(DEVICE_CODE_GRANT);

async function apiNamed(store: Store, idOrIdentifier: string) {
  try {
    return await findApi(store, idOrIdentifier);
  } catch (error) {
    if (error instanceof NotFoundError) throw new ValidationError('apis', `${error.message}: register it first (idp api create), or check its identifier`);
    throw error;
  }
}

/**
 * The grants the settings give this client, with their APIs, checked: every API exists, every scope listed is one the
 * API defines, no API is listed twice for requests, an API that takes only people's (or machines') tokens is granted
 * only to a client that can obtain them, and only a confidential client may introspect (a public one cannot
 * authenticate). Reads, writes nothing; a ValidationError('apis', …) otherwise.
 */
export async function planClientApis(store: Store, client: ClientKind, settings: ClientApiSettings): Promise<ClientApiAccess[]> {
  const planned: ClientApiAccess[] = [];
  for (const entry of settings.request) {
    const api = await apiNamed(store, entry.api);
    if (planned.some((grant) => grant.apiId === api.id)) throw new ValidationError('apis', `the API ${api.identifier} is listed twice: give it once, with all the scopes the client may ask for`);
    if (api.accepts === 'people' && !servesPeople(client)) throw new ValidationError('apis', `the API ${api.identifier} accepts only tokens for people, and this machine client obtains none`);
    if (api.accepts === 'machines' && !servesMachines(client))
      throw new ValidationError('apis', `the API ${api.identifier} accepts only tokens for machine clients (client credentials), and this client is not one`);
    let scopes: string[] | null = null;
    if (entry.scopes !== null) {
      scopes = [...new Set(entry.scopes.map((scope) => scope.trim()).filter((scope) => scope !== ''))];
      if (scopes.length === 0) throw new ValidationError('apis', `name at least one scope of ${api.identifier}, or none at all for every scope it defines`);
      const defined = api.scopes.map((scope) => scope.name);
      const unknown = scopes.find((scope) => !defined.includes(scope));
      if (unknown !== undefined) throw new ValidationError('apis', `the API ${api.identifier} defines no scope ${JSON.stringify(unknown.slice(0, 100))} (it defines: ${defined.join(', ')})`);
    }
    planned.push({ apiId: api.id, role: 'request', scopes, api });
  }
  if (settings.introspect.length > 0 && client.clientType === 'public') {
    throw new ValidationError('apis', 'a public client cannot authenticate, so it cannot introspect tokens: give that role to a confidential client of the API');
  }
  for (const idOrIdentifier of settings.introspect) {
    const api = await apiNamed(store, idOrIdentifier);
    if (!planned.some((grant) => grant.role === 'introspect' && grant.apiId === api.id)) planned.push({ apiId: api.id, role: 'introspect', scopes: null, api });
  }
  return planned;
}

/** The grants as the audit log records them: by identifier, role and scopes (null: all). */
export function grantSummary(access: readonly ClientApiAccess[]) {
  return access.map((grant) => ({ api: grant.api.identifier, role: grant.role, scopes: grant.scopes }));
}

const grantKey = (grant: ClientApiGrant) => `${grant.apiId} ${grant.role} ${grant.scopes === null ? '*' : [...grant.scopes].sort().join(' ')}`;
const sameGrants = (a: readonly ClientApiGrant[], b: readonly ClientApiGrant[]) => {
  const left = a.map(grantKey).sort();
  const right = b.map(grantKey).sort();
  return left.length === right.length && left.every((key, i) => key === right[i]);
};

/** Stores the grants (replacing all of the client's) exactly as planned. */
export function writeGrants(store: Store, clientId: string, planned: readonly ClientApiAccess[]): Promise<void> {
  return store.apis.setGrants(
    clientId,
    planned.map(({ apiId, role, scopes }) => ({ apiId, role, scopes })),
  );
}

async function clientOf(store: Store, clientId: string): Promise<ClientRecord> {
  const client = await store.clients.findById(clientId);
  if (!client) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  return client;
}

/**
 * Replaces all of a client's API grants (empty settings withdraw them all). Only a real change is written and
 * audited (`client.updated` with changed ['apis'] and the grants). Returns the client's grants afterwards.
 */
export async function setClientApis(ctx: ManageContext, clientId: string, settings: ClientApiSettings): Promise<ClientApiAccess[]> {
  const client = await clientOf(ctx.store, clientId);
  const planned = await planClientApis(ctx.store, client, settings);
  const current = await ctx.store.apis.accessOf(clientId);
  if (sameGrants(planned, current)) return current;
  await writeGrants(ctx.store, clientId, planned);
  await audit(ctx, 'client.updated', clientId, { changed: ['apis'], apis: grantSummary(planned) }, clientId);
  return ctx.store.apis.accessOf(clientId);
}

/** The client's grants with their APIs (a NotFoundError for an unknown client). */
export async function clientApis(store: Store, clientId: string): Promise<ClientApiAccess[]> {
  await clientOf(store, clientId);
  return store.apis.accessOf(clientId);
}
