// grant_type=client_credentials (RFC 6749 §4.4): a machine client asks for an access token for one of its APIs,
// on its own behalf. The token is RFC 9068's for a client: `sub` is the client id (§2.2), `aud` the API's
// identifier (RFC 8707), its scope the API scopes asked for among those the client was granted, and no auth_time.
// There is no person, so there is never an ID token, and the client can always ask again with its credentials, so
// there is never a refresh token (RFC 6749 §4.4.3). The client was authenticated by the token endpoint, and its
// registration allows this grant (token.ts); only a confidential client may use it (§4.4).
import { randomId } from '../../auth/secrets.js';
import { InvalidScope, InvalidTarget, UnauthorizedClient } from '../../errors.js';
import type { ClientRecord } from '../../store/records.js';
import { accessTokenRecord, finishAccessToken, planAccessToken } from '../../tokens/access-token.js';
import { field } from '../form-field.js';
import { oneResource, targetAmong, type ApiTarget } from '../resource.js';
import { BEARER_REQUEST, tokenTypeOf, type GrantDependencies, type TokenRequestContext, type TokenType } from './issue-tokens.js';

/** RFC 6749 §4.4.3, §5.1: an access token and its scope, nothing else. */
export interface ClientCredentialsResponse {
  access_token: string;
  token_type: TokenType;
  expires_in: number;
  scope: string;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** The OpenID Connect scopes (src/oidc/claims.ts and OIDC Core §5.4): they are about a person, and there is none. */
const PERSON_SCOPES = new Set(['openid', 'profile', 'email', 'phone', 'address', 'offline_access', 'groups']);

/** The API the token is for: the one named by `resource`, else the client's only API (RFC 8707 §2 leaves the default to us). */
async function target(deps: GrantDependencies, client: ClientRecord, body: Record<string, unknown>): Promise<ApiTarget> {
  const named = oneResource(body);
  // One read of the client's grants, on every request of a busy machine client.
  const access = await deps.store.apis.accessOf(client.clientId);
  if (named !== undefined) return targetAmong(access, client.clientId, named, 'machines');
  const requestable = access.filter((entry) => entry.role === 'request');
  const [only] = requestable;
  if (requestable.length === 1 && only) return targetAmong(access, client.clientId, only.api.identifier, 'machines');
  throw new InvalidTarget(requestable.length === 0 ? 'this client may not request tokens for any API' : 'name the API with the resource parameter: this client may request tokens for several');
}

/** The token's scope, in the API's order: what was asked for, or everything the client may ask of the API. */
function grantedScope(requested: string | undefined, allowed: readonly string[]): string[] {
  if (requested === undefined) {
    if (allowed.length === 0) throw new InvalidScope('this client may request no scope of this API');
    return [...allowed];
  }
  if (!SCOPE.test(requested)) throw new InvalidScope('scope is malformed');
  const wanted = new Set(requested.split(' '));
  for (const scope of wanted) {
    if (PERSON_SCOPES.has(scope)) throw new InvalidScope(`scope ${scope} is about a person: a machine client asks for API scopes only`);
    if (!allowed.includes(scope)) throw new InvalidScope(`scope ${scope.slice(0, 100)} is not one this client may request of this API`);
  }
  return allowed.filter((scope) => wanted.has(scope));
}

export async function clientCredentialsGrant(
  deps: GrantDependencies,
  client: ClientRecord,
  body: Record<string, unknown>,
  context: TokenRequestContext = BEARER_REQUEST,
): Promise<ClientCredentialsResponse> {
  // RFC 6749 §4.4: MUST only be used by confidential clients.
  if (client.clientType !== 'confidential') throw new UnauthorizedClient('a public client cannot use the client_credentials grant');
  const requested = field(body, 'scope');
  const { api, scopes: allowed } = await target(deps, client, body);
  const scope = grantedScope(requested, allowed);
  const { store, clock, config, keyRing } = deps;
  const now = clock.now();
  const key = keyRing.signingKey;
  const lifetimeSeconds = api.tokenLifetime ?? config.lifetimes.accessToken;
  const planned = planAccessToken({
    issuer: config.issuer,
    audience: api.identifier,
    clientId: client.clientId,
    subject: client.clientId,
    scope,
    authTime: null,
    now,
    lifetimeSeconds,
    format: api.tokenFormat,
    // Issue 28 (RFC 9449 §5): a machine that proves a DPoP key gets a token bound to it.
    jkt: context.dpopJkt,
  });
  // Recorded (for revocation and introspection) while it is signed, as every access token is (issue-tokens.ts).
  const [accessToken] = await Promise.all([
    finishAccessToken(key, planned),
    store.issuance.record({
      accessToken: accessTokenRecord(planned, { grantId: randomId(), userId: null, sessionIdHash: null, kid: key.kid, createdAt: now }),
      sessionClient: null,
      refreshToken: null,
    }),
  ]);
  await store.audit.append({
    at: now,
    type: 'token.client_credentials',
    actor: client.clientId,
    subject: client.clientId,
    clientId: client.clientId,
    ip: null,
    details: { api: api.identifier, scope: scope.join(' ') },
  });
  return { access_token: accessToken, token_type: tokenTypeOf(context.dpopJkt), expires_in: lifetimeSeconds, scope: scope.join(' ') };
}
