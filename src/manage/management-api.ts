// Gatehouse's own management API (/api/v1, issue 26) as an API (resource, RFC 8707) record like the others, so that a
// machine client is granted its scopes with the ordinary client-API grants (`idp client create --machine --api
// https://idp.example.com/api/v1 …`, the admin client screen) and asks for its tokens with client_credentials and
// `resource` (or `scope` alone, when it may request no other API).
//
// The record is made, or corrected, at every start of a server and of the `idp` tool (ensureManagementApi): its
// identifier is the issuer's /api/v1, its scopes are MANAGE_SCOPES, it accepts machines' tokens only (people manage
// through personal tokens, src/manage/admin-tokens.ts), and it is marked built in. src/manage/apis.ts refuses to
// rename, re-identify, re-scope or delete it, or to let it take people's tokens; its token lifetime and format may be
// changed like any API's. When the issuer changes, the same row (found by its built-in mark) takes the new identifier:
// the clients' grants name the row, not the identifier, so they follow. Nothing is audited here: the row is
// configuration Gatehouse owns, and a start that finds it right writes nothing.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConflictError } from '../errors.js';
import { routeUrl } from '../http/routes.js';
import { randomId } from '../auth/secrets.js';
import { MANAGE_SCOPES, type ApiPatch, type ApiRecord, type ApiScope, type ManageScope } from '../store/records.js';
import type { Store } from '../store/store.js';

export const MANAGEMENT_API_NAME = 'Gatehouse management API';

const DESCRIPTIONS: Record<ManageScope, string> = {
  'manage:users': 'Manage users',
  'manage:groups': 'Manage groups and their members',
  'manage:clients': 'Manage applications (clients)',
  'manage:apis': 'Manage APIs',
  'manage:keys': 'Manage signing keys',
};

export const MANAGEMENT_API_SCOPES: readonly ApiScope[] = MANAGE_SCOPES.map((name) => ({ name, description: DESCRIPTIONS[name] }));

/** The management API's identifier for this issuer: the `aud` of its tokens. */
export function managementApiIdentifier(config: Pick<Config, 'issuer'>): string {
  return routeUrl(config.issuer, 'managementApi');
}

// Far more than any deployment defines; the loop below is bounded by it.
const MAX_PAGES = 100;

/** The row marked built in, wherever its identifier points (the issuer may have changed since it was made). */
async function findBuiltIn(store: Store): Promise<ApiRecord | null> {
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, next }: { items: ApiRecord[]; next: string | null } = await store.apis.list({ after, limit: 200 });
    const found = items.find((api) => api.builtIn);
    if (found) return found;
    if (next === null) return null;
    after = next;
  }
  return null;
}

const sameScopes = (a: readonly ApiScope[], b: readonly ApiScope[]) =>
  a.length === b.length &&
  a.every((scope, i) => {
    const other = b[i];
    return other !== undefined && scope.name === other.name && scope.description === other.description;
  });

/** What must change for the row to be right: only Gatehouse's own fields (lifetime and format are the operator's). */
function corrections(api: ApiRecord, identifier: string): ApiPatch {
  const patch: ApiPatch = {};
  if (api.name !== MANAGEMENT_API_NAME) patch.name = MANAGEMENT_API_NAME;
  if (api.identifier !== identifier) patch.identifier = identifier;
  if (!sameScopes(api.scopes, MANAGEMENT_API_SCOPES)) patch.scopes = [...MANAGEMENT_API_SCOPES];
  if (api.accepts !== 'machines') patch.accepts = 'machines';
  return patch;
}

function heldByAnother(identifier: string): ConflictError {
  return new ConflictError(`the API ${identifier} is an ordinary API, but that address is Gatehouse's management API: delete or re-identify it (idp api update) and start again`);
}

/**
 * Makes or corrects the built-in management API record and returns it. Several nodes starting at once agree: the
 * unique identifier lets one create it, and the others read the winner's row.
 */
export async function ensureManagementApi(store: Store, config: Pick<Config, 'issuer'>, clock: Clock): Promise<ApiRecord> {
  const identifier = managementApiIdentifier(config);
  const existing = await findBuiltIn(store);
  if (existing) {
    const patch = corrections(existing, identifier);
    if (Object.keys(patch).length === 0) return existing;
    if (patch.identifier !== undefined) {
      const holder = await store.apis.findByIdentifier(identifier);
      if (holder && holder.id !== existing.id) throw heldByAnother(identifier);
    }
    const updated = await store.apis.update(existing.id, patch, clock.now());
    // Deleted between the read and the write (by hand: src/manage/apis.ts refuses it): the next start makes it again.
    if (!updated) throw new ConflictError('the management API record disappeared while it was being corrected; start again');
    return updated;
  }
  const holder = await store.apis.findByIdentifier(identifier);
  if (holder) throw heldByAnother(identifier);
  try {
    return await store.apis.create(
      { id: randomId(), name: MANAGEMENT_API_NAME, identifier, scopes: [...MANAGEMENT_API_SCOPES], tokenLifetime: null, tokenFormat: 'jwt', accepts: 'machines', builtIn: true },
      clock.now(),
    );
  } catch (error) {
    // Another node created it first: theirs is the row.
    if (!(error instanceof ConflictError)) throw error;
    const winner = await store.apis.findByIdentifier(identifier);
    if (!winner?.builtIn) throw error;
    return winner;
  }
}
