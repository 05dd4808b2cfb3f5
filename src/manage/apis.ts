// APIs (resource servers, RFC 8707, issue 22): the rules shared by the `idp api` tool and the admin screens
// (src/admin/api*.ts). An API's identifier is the `aud` of the access tokens minted for it, so it is held to the
// rules of a URI that names something (RFC 8707 §2: absolute, no fragment) and to those of the URIs clients register
// (https, or http on a loopback host). Its scopes are what clients ask for and what a person reads on the consent and
// device pages. Every change is checked before anything is written, and audited.
//
// An API's identifier is never Gatehouse's own address (the issuer, or anything under it): a token minted for such an
// "API" would carry one of our own endpoints as its audience (the userinfo endpoint checks exactly
// `${issuer}/userinfo`), so whoever may request that API's tokens, a machine client among them, would hold tokens our
// endpoints accept. That is why creating or changing an API needs the issuer (ApiContext).
import { randomId } from '../auth/secrets.js';
import type { Config } from '../config.js';
import { ConflictError, NotFoundError, PreconditionFailed, ValidationError } from '../errors.js';
import type { AccessTokenFormat, ApiAudience, ApiPatch, ApiRecord, ApiScope, ApiUse } from '../store/records.js';
import type { Store } from '../store/store.js';
import { checkClientUri } from './redirect-uris.js';
import { audit, type ManageContext } from './users.js';

/**
 * The management context with the issuer, so that no way of registering an API skips the rule of the head of this
 * file (the `idp` tool and the admin screens pass their configuration).
 */
export interface ApiContext extends ManageContext {
  config: Pick<Config, 'issuer'>;
}

export interface ApiInput {
  name: string;
  identifier: string;
  scopes: ApiScope[];
  /** Seconds (60-86,400); null or absent: the server's ACCESS_TOKEN_TTL. */
  tokenLifetime?: number | null;
  /** 'jwt' unless given. */
  tokenFormat?: AccessTokenFormat;
  /** 'both' unless given. */
  accepts?: ApiAudience;
}

const MAX_NAME_LENGTH = 200;
const MAX_IDENTIFIER_LENGTH = 512;
const MAX_DESCRIPTION_LENGTH = 300;
export const MAX_API_SCOPES = 100;
export const MIN_TOKEN_LIFETIME = 60;
export const MAX_TOKEN_LIFETIME = 86_400;
export const SCOPE_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,100}$/;
const SCOPE_NAME_RULE = 'a scope name is 1 to 100 letters, digits or _ . : / -';
/**
 * The scopes of OpenID Connect (Core §5.4, §11) and Gatehouse's `groups`: they release claims about the person at the
 * userinfo endpoint and in the ID token, and must never be mistaken for an API's.
 */
export const RESERVED_SCOPE_NAMES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'phone', 'address', 'offline_access', 'groups']);
const FORMATS: readonly AccessTokenFormat[] = ['jwt', 'opaque'];
const AUDIENCES: readonly ApiAudience[] = ['people', 'machines', 'both'];

const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkApiName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError('name', 'the API needs a name');
  if (trimmed.length > MAX_NAME_LENGTH) throw new ValidationError('name', `the name must be at most ${MAX_NAME_LENGTH} characters long`);
  if (CONTROL.test(trimmed)) throw new ValidationError('name', 'the name must not contain control characters');
  return trimmed;
}

/**
 * The identifier exactly as given (tokens' `aud` and the `resource` parameter are compared by exact string): an
 * absolute https URI (http only on a loopback host), without a fragment or credentials, at most 512 characters.
 */
export function checkApiIdentifier(identifier: string): string {
  if (identifier.length === 0) throw new ValidationError('identifier', 'the API needs an identifier: an absolute https URI, such as https://api.example.com/orders');
  if (identifier.length > MAX_IDENTIFIER_LENGTH) throw new ValidationError('identifier', `the identifier must be at most ${MAX_IDENTIFIER_LENGTH} characters long`);
  checkClientUri(identifier, 'identifier');
  return identifier;
}

/** A URL's path for the comparison: without its final slashes, lower-cased (Express routes ignore case and a final slash). */
const pathForComparison = (url: URL) => url.pathname.replace(/\/+$/, '').toLowerCase();

/**
 * Refuses an identifier that is the issuer or lies under it (the head of this file): the same origin (scheme, host,
 * port, as the URL parser normalises them) and a path that is the issuer's or below it. An identifier that
 * checkApiIdentifier took is an absolute URI, so it parses.
 */
export function refuseOwnAddress(identifier: string, issuer: string): void {
  const api = new URL(identifier);
  const own = new URL(issuer);
  if (api.origin !== own.origin) return;
  const base = pathForComparison(own);
  const path = pathForComparison(api);
  if (path === base || path.startsWith(`${base}/`)) {
    throw new ValidationError(
      'identifier',
      `the identifier is this server's own address: ${issuer} and every address under it are Gatehouse's endpoints, which would accept the API's tokens; give the API an address of its own`,
    );
  }
}

/** One scope as it will be stored (name as given, description trimmed), or a ValidationError('scopes', …). */
export function checkApiScope(scope: ApiScope): ApiScope {
  const name = scope.name.trim();
  if (!SCOPE_NAME_PATTERN.test(name)) throw new ValidationError('scopes', `${JSON.stringify(name.slice(0, 80))} is not a valid scope name: ${SCOPE_NAME_RULE}`);
  if (RESERVED_SCOPE_NAMES.has(name)) throw new ValidationError('scopes', `the scope ${JSON.stringify(name)} belongs to OpenID Connect, not to an API: choose another name (e.g. orders:read)`);
  const description = scope.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH) throw new ValidationError('scopes', `the description of ${name} must be at most ${MAX_DESCRIPTION_LENGTH} characters long`);
  if (CONTROL.test(description)) throw new ValidationError('scopes', `the description of ${name} must not contain control characters`);
  return { name, description };
}

/** The whole list: 1 to 100 scopes, names unique within the API, in the order given. */
export function checkApiScopes(scopes: readonly ApiScope[]): ApiScope[] {
  if (scopes.length === 0) throw new ValidationError('scopes', 'an API defines at least one scope');
  if (scopes.length > MAX_API_SCOPES) throw new ValidationError('scopes', `an API defines at most ${MAX_API_SCOPES} scopes`);
  const checked = scopes.map(checkApiScope);
  const seen = new Set<string>();
  for (const { name } of checked) {
    if (seen.has(name)) throw new ValidationError('scopes', `the scope ${name} is listed twice`);
    seen.add(name);
  }
  return checked;
}

export function checkTokenLifetime(seconds: number | null | undefined): number | null {
  if (seconds === undefined || seconds === null) return null;
  if (!Number.isInteger(seconds) || seconds < MIN_TOKEN_LIFETIME || seconds > MAX_TOKEN_LIFETIME) {
    throw new ValidationError('token_lifetime', `the token lifetime must be a whole number of seconds from ${MIN_TOKEN_LIFETIME} to ${MAX_TOKEN_LIFETIME} (or none, for ACCESS_TOKEN_TTL)`);
  }
  return seconds;
}

/** A lifetime as typed (a form, `idp api --token-lifetime`): digits only, or empty for the server's. */
export function tokenLifetimeFromText(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (!/^\d{1,6}$/.test(trimmed)) return checkTokenLifetime(Number.NaN);
  return checkTokenLifetime(Number(trimmed));
}

export function checkTokenFormat(format: string | undefined): AccessTokenFormat {
  if (format === undefined) return 'jwt';
  if (!(FORMATS as readonly string[]).includes(format)) throw new ValidationError('token_format', 'the token format must be jwt or opaque');
  return format as AccessTokenFormat;
}

export function checkAccepts(accepts: string | undefined): ApiAudience {
  if (accepts === undefined) return 'both';
  if (!(AUDIENCES as readonly string[]).includes(accepts)) throw new ValidationError('accepts', 'an API accepts tokens for people, machines or both');
  return accepts as ApiAudience;
}

/** `name` or `name=Description` (the `idp api --scope` argument; the admin form's lines). */
export function parseScopeArgument(text: string): ApiScope {
  const at = text.indexOf('=');
  const scope = at < 0 ? { name: text, description: '' } : { name: text.slice(0, at), description: text.slice(at + 1) };
  return checkApiScope(scope);
}

/**
 * Issue-21 attributes are released with scopes of their own (src/manage/attributes.ts): an API scope of the same
 * name would make one word ask for two things.
 */
async function refuseAttributeScopes(store: Store, scopes: readonly ApiScope[]): Promise<void> {
  const attributeScopes = new Set((await store.attributes.list()).map((definition) => definition.scope));
  const clash = scopes.find((scope) => attributeScopes.has(scope.name));
  if (clash) throw new ValidationError('scopes', `the scope ${clash.name} already releases user attributes (idp attribute list): choose another name`);
}

const notFound = (idOrIdentifier: string) => new NotFoundError(`no API ${JSON.stringify(idOrIdentifier)}`);
/** Issue 26: Gatehouse's own management API (src/manage/management-api.ts) keeps what makes it Gatehouse's. */
export const BUILT_IN_API = "the management API is built in: its name, identifier, scopes and audience are Gatehouse's (its token lifetime and format may change)";
const BUILT_IN_FIELDS: readonly (keyof ApiPatch)[] = ['name', 'identifier', 'scopes', 'accepts'];

/** Issue 26 (the management API's If-Match): the version the caller read, when it names one. */
export interface ApiWriteOptions {
  expectedVersion?: number;
}

function staleVersion(api: ApiRecord): PreconditionFailed {
  return new PreconditionFailed(`the API ${api.identifier} has changed since it was read (version ${api.version} now): read it again`);
}
const taken = (identifier: string) => new ConflictError(`an API with the identifier ${identifier} already exists`);

/** An API by its identifier (anything with a colon: identifiers are absolute URIs) or its id. */
export async function findApi(store: Store, idOrIdentifier: string): Promise<ApiRecord> {
  const wanted = idOrIdentifier.trim();
  if (!wanted) throw new NotFoundError('no API "": give an API identifier or id');
  const api = wanted.includes(':') ? await store.apis.findByIdentifier(wanted) : await store.apis.findById(wanted);
  if (!api) throw notFound(wanted);
  return api;
}

function checkInput(input: ApiInput) {
  return {
    name: checkApiName(input.name),
    identifier: checkApiIdentifier(input.identifier),
    scopes: checkApiScopes(input.scopes),
    tokenLifetime: checkTokenLifetime(input.tokenLifetime),
    tokenFormat: checkTokenFormat(input.tokenFormat),
    accepts: checkAccepts(input.accepts),
  };
}

const apiDetails = (api: ApiRecord) => ({
  name: api.name,
  identifier: api.identifier,
  scopes: api.scopes.map((scope) => scope.name),
  token_lifetime: api.tokenLifetime,
  token_format: api.tokenFormat,
  accepts: api.accepts,
});

export async function createApi(ctx: ApiContext, input: ApiInput): Promise<ApiRecord> {
  const checked = checkInput(input);
  refuseOwnAddress(checked.identifier, ctx.config.issuer);
  await refuseAttributeScopes(ctx.store, checked.scopes);
  // A friendly answer for the common case; the unique index still decides a race (ConflictError too).
  if (await ctx.store.apis.findByIdentifier(checked.identifier)) throw taken(checked.identifier);
  const api = await ctx.store.apis.create({ id: randomId(), ...checked }, ctx.clock.now());
  await audit(ctx, 'api.created', api.id, apiDetails(api));
  return api;
}

const sameScopes = (a: readonly ApiScope[], b: readonly ApiScope[]) =>
  a.length === b.length &&
  a.every((scope, i) => {
    const other = b[i];
    return other !== undefined && scope.name === other.name && scope.description === other.description;
  });

/** The fields an update would change, by the names the audit log and `--json` use. */
const FIELD_NAMES: Record<keyof ApiPatch, string> = {
  name: 'name',
  identifier: 'identifier',
  scopes: 'scopes',
  tokenLifetime: 'token_lifetime',
  tokenFormat: 'token_format',
  accepts: 'accepts',
};

/**
 * Changes what is given (absent fields stay; `tokenLifetime: null` returns to ACCESS_TOKEN_TTL; `scopes` replaces the
 * whole list). Only a real change is written and audited (`api.updated` naming the fields).
 *
 * What a change means for what was issued: tokens already minted keep their `aud` and scopes until they expire. A new
 * identifier is a new audience: a grant (code, refresh token) that named the old one is refused (invalid_target) when
 * it names it again (and a new identifier is held to the rule of the head of this file). A scope removed is no longer
 * granted to any client, also where a client's grant lists it (src/oidc/resource.ts apiTarget); a client granted "all
 * scopes" gains the scopes added.
 *
 * Issue 26: the built-in management API refuses a change of name, identifier, scopes or audience (ConflictError);
 * with `expectedVersion` (the API's If-Match) the write happens only while the API is at that version, else
 * PreconditionFailed and nothing written.
 */
export async function updateApi(ctx: ApiContext, idOrIdentifier: string, changes: Partial<ApiInput>, options: ApiWriteOptions = {}): Promise<{ api: ApiRecord; changed: string[] }> {
  const api = await findApi(ctx.store, idOrIdentifier);
  if (options.expectedVersion !== undefined && api.version !== options.expectedVersion) throw staleVersion(api);
  const patch: ApiPatch = {};
  if (changes.name !== undefined) {
    const name = checkApiName(changes.name);
    if (name !== api.name) patch.name = name;
  }
  if (changes.identifier !== undefined) {
    const identifier = checkApiIdentifier(changes.identifier);
    if (identifier !== api.identifier) {
      // A new identifier only: one stored before this rule does not block editing the rest (as a client's URLs).
      refuseOwnAddress(identifier, ctx.config.issuer);
      patch.identifier = identifier;
    }
  }
  if (changes.scopes !== undefined) {
    const scopes = checkApiScopes(changes.scopes);
    if (!sameScopes(scopes, api.scopes)) patch.scopes = scopes;
  }
  if (changes.tokenLifetime !== undefined) {
    const lifetime = checkTokenLifetime(changes.tokenLifetime);
    if (lifetime !== api.tokenLifetime) patch.tokenLifetime = lifetime;
  }
  if (changes.tokenFormat !== undefined) {
    const format = checkTokenFormat(changes.tokenFormat);
    if (format !== api.tokenFormat) patch.tokenFormat = format;
  }
  if (changes.accepts !== undefined) {
    const accepts = checkAccepts(changes.accepts);
    if (accepts !== api.accepts) patch.accepts = accepts;
  }
  const changed = (Object.keys(patch) as (keyof ApiPatch)[]).map((field) => FIELD_NAMES[field]);
  if (changed.length === 0) return { api, changed };
  if (api.builtIn && BUILT_IN_FIELDS.some((field) => patch[field] !== undefined)) throw new ConflictError(BUILT_IN_API);
  if (patch.scopes) await refuseAttributeScopes(ctx.store, patch.scopes);
  if (patch.identifier !== undefined) {
    const holder = await ctx.store.apis.findByIdentifier(patch.identifier);
    if (holder && holder.id !== api.id) throw taken(patch.identifier);
  }
  // One conditional write when a version is expected: of two updates that read the same version, one wins.
  const updated = await ctx.store.apis.update(api.id, patch, ctx.clock.now(), options.expectedVersion === undefined ? undefined : { onlyIfVersion: options.expectedVersion });
  if (!updated) {
    const now = await ctx.store.apis.findById(api.id);
    throw now ? staleVersion(now) : notFound(idOrIdentifier);
  }
  await audit(ctx, 'api.updated', api.id, { changed, name: updated.name, identifier: updated.identifier, ...(patch.identifier === undefined ? {} : { previous_identifier: api.identifier }) });
  return { api: updated, changed };
}

/**
 * Deletes an API and every client grant naming it (ON DELETE CASCADE). Returns the clients that named it, read just
 * before, so that the caller can tell the administrator. Tokens already minted for it stay valid until they expire
 * (revoke them through their clients if needed); refreshing to it is refused from now on (invalid_target).
 * The built-in management API is never deleted (ConflictError).
 */
export async function deleteApi(ctx: ManageContext, idOrIdentifier: string, options: ApiWriteOptions = {}): Promise<{ api: ApiRecord; uses: ApiUse[] }> {
  const api = await findApi(ctx.store, idOrIdentifier);
  if (api.builtIn) throw new ConflictError(BUILT_IN_API);
  if (options.expectedVersion !== undefined && api.version !== options.expectedVersion) throw staleVersion(api);
  const uses = await ctx.store.apis.usesOf(api.id);
  // One conditional write when a version is expected: a change landing after the read keeps the API.
  if (!(await ctx.store.apis.delete(api.id, options.expectedVersion === undefined ? undefined : { onlyIfVersion: options.expectedVersion }))) {
    const now = await ctx.store.apis.findById(api.id);
    throw now ? staleVersion(now) : notFound(idOrIdentifier);
  }
  await audit(ctx, 'api.deleted', api.id, { name: api.name, identifier: api.identifier, clients: uses.map((use) => use.clientId) });
  return { api, uses };
}
