// Token introspection (RFC 7662): a client asks whether one of its own tokens is active. Anything unknown,
// expired, revoked, rotated, of a disabled or deleted user, of an ended session or of another client is
// `{"active": false}` and nothing more (§2.2), so that the answer never tells a client why, nor anything
// about tokens that are not its own.
import type { Request, Response } from 'express';
import { authenticateClient, type ClientAuthDependencies } from './client-auth.js';
import type { GrantDependencies } from './grants/issue-tokens.js';
import { refreshTokenStatus } from './grants/refresh-token-status.js';
import { findPresentedToken, tokenRequest, type PresentedToken } from './presented-token.js';

const INACTIVE = { active: false } as const;

const seconds = (ms: number) => Math.floor(ms / 1000);

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
  };
}

async function describeAccessToken(deps: GrantDependencies, found: Extract<PresentedToken, { type: 'access_token' }>): Promise<Record<string, unknown>> {
  // The same rules as the UserInfo endpoint: a live record (not expired, not revoked) and a user who may sign in.
  if (found.record === null) return INACTIVE;
  const user = await deps.store.users.findById(found.record.userId);
  if (!user || user.disabled) return INACTIVE;
  const { claims } = found;
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
    token_type: 'Bearer',
    auth_time: claims.auth_time,
  };
}

export function introspectionEndpoint(deps: GrantDependencies & ClientAuthDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    // §2.1: the endpoint requires client authentication, against token scanning.
    const client = await authenticateClient(deps, req);
    const presented = tokenRequest((req.body ?? {}) as Record<string, unknown>);
    const found = await findPresentedToken(deps, presented);
    if (found === null || found.clientId !== client.clientId) {
      res.json(INACTIVE);
      return;
    }
    res.json(found.type === 'refresh_token' ? await describeRefreshToken(deps, found) : await describeAccessToken(deps, found));
  };
}
