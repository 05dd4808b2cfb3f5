// Token introspection (RFC 7662): a client asks whether one of its own tokens is active, or an API (a client
// granted 'introspect' on it, issue 22: the API's own credentials, §4) asks about an access token minted for it.
// Anything unknown, expired, revoked, rotated, of a disabled or deleted user, of an ended session or of anyone else
// is `{"active": false}` and nothing more (§2.2), so that the answer never tells a client why, nor anything about
// tokens that are neither its own nor for its API.
// Issue 28 (RFC 9449 §6.2): a DPoP-bound token is described with its `cnf` (`jkt`, the key's RFC 7638 thumbprint) and
// `token_type: DPoP`, so that a resource server using introspection can check the proof's key against it.
import type { Request, Response } from 'express';
import type { ClientRecord } from '../store/records.js';
import { authenticateClient, type ClientAuthDependencies } from './client-auth.js';
import { boundJkt } from '../tokens/access-token.js';
import { tokenTypeOf, type GrantDependencies } from './grants/issue-tokens.js';
import { refreshTokenStatus } from './grants/refresh-token-status.js';
import { findPresentedToken, tokenRequest, type PresentedToken } from './presented-token.js';

const INACTIVE = { active: false } as const;

const seconds = (ms: number) => Math.floor(ms / 1000);

/** RFC 9449 §6.2: the confirmation members of a token bound to a DPoP key; nothing for a bearer token. */
const confirmation = (jkt: string | null | undefined) => (typeof jkt === 'string' ? { cnf: { jkt } } : {});

async function describeRefreshToken(deps: GrantDependencies, found: Extract<PresentedToken, { type: 'refresh_token' }>): Promise<Record<string, unknown>> {
  const { record } = found;
  // The same rules as the refresh grant: a token introspection calls active must also be redeemable.
  const status = await refreshTokenStatus(deps.store, deps.config.lifetimes, record, deps.clock.now());
  if (!status.usable) return INACTIVE;
  return {
    active: true,
    scope: record.scope,
    client_id: record.clientId,
    sub: record.userId,
    exp: seconds(record.expiresAt),
    iat: seconds(record.createdAt),
    iss: deps.config.issuer,
    token_type: 'refresh_token',
    // A public client's refresh token bound to its DPoP key (RFC 9449 §5) says so too.
    ...confirmation(record.jkt),
  };
}

type FoundAccessToken = Extract<PresentedToken, { type: 'access_token' }>;

async function describeAccessToken(deps: GrantDependencies, found: FoundAccessToken): Promise<Record<string, unknown>> {
  // The same rules as the UserInfo endpoint: a live record (not expired, not revoked) and a user who may sign in.
  // A machine's token (client_credentials) has no person: its client is its subject (RFC 9068 §2.2).
  const { record, claims } = found;
  if (record === null) return INACTIVE;
  if (record.userId !== null) {
    const user = await deps.store.users.findById(record.userId);
    if (!user || user.disabled) return INACTIVE;
  }
  if (claims === null) {
    // An opaque token: its record is all there is of it.
    return {
      active: true,
      scope: record.scope ?? '',
      client_id: record.clientId,
      sub: record.userId ?? record.clientId,
      exp: seconds(record.expiresAt),
      iat: seconds(record.createdAt),
      iss: deps.config.issuer,
      aud: record.audience,
      token_type: tokenTypeOf(record.jkt ?? null),
      ...(record.authTime !== null ? { auth_time: seconds(record.authTime) } : {}),
      ...confirmation(record.jkt),
    };
  }
  // The signed claim is the binding a resource server reads in the JWT; the record says the same.
  const jkt = boundJkt(claims);
  return {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    exp: claims.exp,
    iat: claims.iat,
    iss: claims.iss,
    aud: claims.aud,
    jti: claims.jti,
    // §2.2 token_type is the type of RFC 6749 §7.1, as the token endpoint named it.
    token_type: tokenTypeOf(jkt),
    auth_time: claims.auth_time,
    ...confirmation(jkt),
  };
}

/**
 * Whether `caller` may hear about this access token: it is the caller's own, or the caller holds the 'introspect'
 * grant on the API the token is for (its audience as recorded; a JWT's `aud` for a record from before issue 22).
 */
async function mayIntrospect(deps: GrantDependencies, caller: ClientRecord, found: FoundAccessToken): Promise<boolean> {
  if (found.clientId === caller.clientId) return true;
  if (found.record === null) return false;
  const audience = found.record.audience ?? found.claims?.aud;
  if (typeof audience !== 'string') return false;
  const access = await deps.store.apis.accessOf(caller.clientId);
  return access.some((entry) => entry.role === 'introspect' && entry.api.identifier === audience);
}

export function introspectionEndpoint(deps: GrantDependencies & ClientAuthDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    // §2.1: the endpoint requires client authentication, against token scanning.
    const client = await authenticateClient(deps, req);
    const presented = tokenRequest((req.body ?? {}) as Record<string, unknown>);
    const found = await findPresentedToken(deps, presented);
    if (found === null) {
      res.json(INACTIVE);
      return;
    }
    if (found.type === 'refresh_token') {
      // A refresh token is for its client alone: no API ever sees one.
      res.json(found.clientId === client.clientId ? await describeRefreshToken(deps, found) : INACTIVE);
      return;
    }
    res.json((await mayIntrospect(deps, client, found)) ? await describeAccessToken(deps, found) : INACTIVE);
  };
}
