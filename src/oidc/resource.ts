// Resource indicators (RFC 8707): which API (resource server) a token is for. The `resource` values are read and
// checked here, and an API is a target only for a client granted it (role 'request') and only for the kind of token
// the API takes (people's or machines'). Unknown, ungranted and refused resources all answer invalid_target
// (§2), with one message, so that a client cannot learn which APIs exist beyond its own.
import { InvalidRequest, InvalidTarget } from '../errors.js';
import type { ApiRecord, ClientApiAccess } from '../store/records.js';
import type { Store } from '../store/store.js';

/** Longer than any identifier an administrator registers (src/manage/apis.ts caps them at 512). */
const MAX_RESOURCE_LENGTH = 2048;
/** A request naming more APIs than this is refused rather than looked up one by one. */
const MAX_RESOURCES = 10;

/** Whose token is asked for: a person's (authorization code, refresh, device) or a machine's (client credentials). */
export type TokenHolder = 'people' | 'machines';

/** RFC 8707 §2: an absolute URI, without a fragment. */
function checkResource(value: string): string {
  if (value.length > MAX_RESOURCE_LENGTH) throw new InvalidTarget(`resource is longer than ${MAX_RESOURCE_LENGTH} characters`);
  if (value.includes('#')) throw new InvalidTarget('resource must not include a fragment');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidTarget('resource must be an absolute URI');
  }
  // The URL parser accepts a few things that are not absolute URIs as sent (leading spaces, backslashes): the value
  // must be one the parser reads as itself up to normalisation of the scheme, compared by the caller exactly anyway.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) || /[\s\\]/.test(value) || url.protocol === '') throw new InvalidTarget('resource must be an absolute URI');
  return value;
}

/** Every `resource` of a request (RFC 8707 §2 lets it repeat), each checked, each once, in the order sent; [] for none. */
export function resourceParameter(params: Record<string, unknown>): string[] {
  const raw = params.resource;
  if (raw === undefined) return [];
  const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((value) => typeof value === 'string') ? raw : null;
  if (values === null) throw new InvalidRequest('resource must be text');
  if (values.length > MAX_RESOURCES) throw new InvalidTarget(`at most ${MAX_RESOURCES} resources may be named`);
  return [...new Set(values.map(checkResource))];
}

/** The token endpoint's `resource`: at most one, since one access token has one audience here. */
export function oneResource(params: Record<string, unknown>): string | undefined {
  const values = resourceParameter(params);
  if (values.length > 1) throw new InvalidTarget('name one resource per token request: each access token is for one API');
  return values[0];
}

/** An API a client may ask tokens for, and the API's scopes it may ask for (in the API's order). */
export interface ApiTarget {
  api: ApiRecord;
  scopes: string[];
}

const NOT_A_TARGET = 'the resource is not an API this client may request tokens for';

/**
 * The API named by `identifier` among the client's grants (`access`, as store.apis.accessOf read it), as a target
 * for this kind of token, or InvalidTarget.
 */
export function targetAmong(access: readonly ClientApiAccess[], clientId: string, identifier: string, holder: TokenHolder): ApiTarget {
  const grant = access.find((entry) => entry.role === 'request' && entry.api.identifier === identifier);
  if (!grant) throw new InvalidTarget(NOT_A_TARGET, `${clientId} named ${identifier.slice(0, 200)}, which it is not granted`);
  const { api } = grant;
  if (api.accepts !== 'both' && api.accepts !== holder) {
    throw new InvalidTarget(api.accepts === 'machines' ? 'this API accepts only tokens for machine clients' : 'this API accepts only tokens for people');
  }
  const defined = api.scopes.map((scope) => scope.name);
  // A granted scope the API no longer defines is no longer grantable.
  const scopes = grant.scopes === null ? defined : defined.filter((name) => grant.scopes?.includes(name));
  return { api, scopes };
}

/**
 * The API named by `identifier` as a target for this client and this kind of token, or InvalidTarget. The grant is
 * read now, so that a grant withdrawn (or an API deleted) stops the next refresh too.
 */
export async function apiTarget(store: Store, clientId: string, identifier: string, holder: TokenHolder): Promise<ApiTarget> {
  return targetAmong(await store.apis.accessOf(clientId), clientId, identifier, holder);
}

/** The API targets of several resources (an authorization request's), in the order named. */
export async function apiTargets(store: Store, clientId: string, identifiers: readonly string[], holder: TokenHolder): Promise<ApiTarget[]> {
  // One read of the client's grants for all of them.
  const access = await store.apis.accessOf(clientId);
  return identifiers.map((identifier) => targetAmong(access, clientId, identifier, holder));
}
