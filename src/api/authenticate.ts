// Who is calling the management API (issue 26): the bearer token of the Authorization header (RFC 6750 §2.1; no form
// body or query parameter: §2.2 and §2.3 are for cases the API does not have) is one of two kinds.
//
// - A personal token (`gat_…`, src/manage/admin-tokens.ts): live, and acting as an enabled administrator if it names
//   one. Its scopes are the ones it was made with.
// - An access token Gatehouse issued to a machine client through client_credentials for the management API: a JWT we
//   signed (RS256, typ at+jwt, RFC 9068) or an opaque token, found as revocation and introspection find it
//   (src/oidc/presented-token.ts), so a revoked or expired one is refused; its audience the management API's
//   identifier (the issuer's /api/v1). A token issued to a person is refused: people manage through personal tokens.
//   Its scopes are the token's `scope`, narrowed to what the client is granted on the management API now, so that
//   withdrawing a grant takes effect at once rather than at the token's expiry; no grant left, no token.
// - Issue 28: a DPoP-bound access token (RFC 9449) is refused here outright, whichever scheme it comes with. The API
//   takes bearer tokens only: a machine client asks for its management token without a DPoP proof (a client
//   registered with dpop_bound_access_tokens cannot, and uses a personal token instead). Accepting it as a bearer
//   token would make the binding worthless (RFC 9449 §7.2); accepting the DPoP scheme would need nonces and replay
//   state for an API that scripts call from the operator's own machines, where a personal token does the job.
//
// Every refusal is InvalidToken (401 with `WWW-Authenticate: Bearer error="invalid_token"`, RFC 6750 §3.1), the
// public message saying no more than which rule failed, the detail for the log only. A request with no token at all
// gets the bare challenge (§3.1: no error code). The scope a call needs is checked by the router (InsufficientScope).
// Secrets are looked up by their SHA-256 hash (an index lookup), never compared in the open.
import type { Request } from 'express';
import { InvalidToken } from '../errors.js';
import { ADMIN_TOKEN_PREFIX, isManageScope, liveAdminToken } from '../manage/admin-tokens.js';
import { managementApiIdentifier } from '../manage/management-api.js';
import { findAccessToken, type TokenLookupDependencies } from '../oidc/presented-token.js';
import { MANAGE_SCOPES, type AccessTokenRecord, type ManageScope } from '../store/records.js';
import type { ApiCaller } from './caller.js';

export type AuthenticationDependencies = TokenLookupDependencies;

// RFC 6750 §2.1: b64token, after the scheme name (case-insensitive, RFC 9110 §11.1) and one or more spaces.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^\s*Bearer(\s|$)/i;

/** The presented token; InvalidToken (bare challenge) when there is none. */
function bearerToken(req: Request): string {
  const header = req.headers.authorization;
  if (header === undefined || header.trim() === '') throw new InvalidToken('an access token or personal admin token is required', undefined, { challengeOnly: true });
  // Another scheme (Basic): authentication this API does not take, answered with the challenge that names its own.
  if (!SCHEME.test(header)) throw new InvalidToken('send the token with the Bearer scheme (Authorization: Bearer <token>)', undefined, { challengeOnly: true });
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new InvalidToken('the Authorization header is not a well-formed bearer token');
  return match[1];
}

const NOT_VALID = 'the token is not valid, has expired or has been revoked';

async function personalTokenCaller(deps: AuthenticationDependencies, token: string): Promise<ApiCaller> {
  const live = await liveAdminToken(deps.store, token, deps.clock.now());
  if (!live) throw new InvalidToken(NOT_VALID, 'no live personal token with this hash, or its administrator is no longer an enabled administrator');
  const { record } = live;
  return { kind: 'admin_token', id: record.id, actor: record.userId ?? 'cli', userId: record.userId, tokenId: record.id, scopes: new Set(record.scopes) };
}

const audiences = (aud: unknown): string[] => (typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((value): value is string => typeof value === 'string') : []);

/** The management scopes the client holds on the management API now: null when it has no grant on it any more. */
async function grantedScopes(deps: AuthenticationDependencies, record: AccessTokenRecord, identifier: string): Promise<ReadonlySet<string> | null> {
  const access = await deps.store.apis.accessOf(record.clientId);
  const grant = access.find((entry) => entry.role === 'request' && entry.api.builtIn && entry.api.identifier === identifier);
  if (!grant) return null;
  // null: every scope of the API, which are the management scopes.
  return new Set(grant.scopes ?? MANAGE_SCOPES);
}

async function accessTokenCaller(deps: AuthenticationDependencies, token: string): Promise<ApiCaller> {
  const found = await findAccessToken(deps, token);
  if (found?.type !== 'access_token' || found.record === null) throw new InvalidToken(NOT_VALID, 'not an access token we issued, or expired or revoked');
  const { record, claims } = found;
  const identifier = managementApiIdentifier(deps.config);
  // The record's audience is the one the token was minted for; a JWT must say so itself too (RFC 9068 §4).
  if (record.audience !== identifier || (claims !== null && !audiences(claims.aud).includes(identifier))) {
    throw new InvalidToken('the access token is not for the management API', `audience ${JSON.stringify(record.audience)}`);
  }
  // RFC 9449 §7.2: a bound token is never honoured as a bearer token (the header above was Bearer).
  if ((record.jkt ?? null) !== null || (claims !== null && claims.cnf !== undefined)) {
    throw new InvalidToken('the access token is DPoP-bound: the management API accepts bearer tokens only; ask for its token without a DPoP proof', `client ${record.clientId}`);
  }
  if (record.userId !== null)
    throw new InvalidToken("the access token was issued to a person: use a personal admin token (idp admin token create) or a machine client's token", `user ${record.userId}`);
  const granted = await grantedScopes(deps, record, identifier);
  if (!granted) throw new InvalidToken(NOT_VALID, `client ${record.clientId} is no longer granted the management API`);
  const scopes = (record.scope ?? '').split(' ').filter((scope): scope is ManageScope => isManageScope(scope) && granted.has(scope));
  return { kind: 'client', id: record.clientId, actor: record.clientId, userId: null, tokenId: record.jti, scopes: new Set(scopes) };
}

/** The caller of a management API request, or InvalidToken (401). */
export async function authenticateCaller(deps: AuthenticationDependencies, req: Request): Promise<ApiCaller> {
  const token = bearerToken(req);
  return token.startsWith(ADMIN_TOKEN_PREFIX) ? personalTokenCaller(deps, token) : accessTokenCaller(deps, token);
}
