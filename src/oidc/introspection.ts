// Token introspection (RFC 7662): a client asks whether one of its own tokens is active. Anything unknown,
// expired, revoked, rotated, of a disabled user or of another client is `{"active": false}` and nothing more
// (§2.2), so the answer never tells a client about tokens that are not its own.
import type { Request, Response } from 'express';
import { InvalidRequest } from '../errors.js';
import { authenticateClient } from './client-auth.js';
import { field } from './grants/form-field.js';
import type { GrantDependencies } from './grants/issue-tokens.js';
import { refreshTokenStatus } from './grants/refresh-token-status.js';
import { findPresentedToken, type PresentedToken } from './presented-token.js';

const INACTIVE = { active: false } as const;
const seconds = (ms: number) => Math.floor(ms / 1000);

async function describeToken(deps: GrantDependencies, found: PresentedToken): Promise<Record<string, unknown>> {
  const now = deps.clock.now();
  if (found.type === 'refresh_token') {
    const { record } = found;
    const status = await refreshTokenStatus(deps.store, deps.config.lifetimes, record, now);
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
  if (!found.record) return INACTIVE;
  const user = await deps.store.users.findById(found.record.userId);
  if (!user || user.disabled) return INACTIVE;
  const { claims } = found;
  return {
    active: true,
    scope: claims.scope,
    client_id: found.clientId,
    sub: claims.sub,
    exp: claims.exp,
    iat: claims.iat,
    iss: claims.iss,
    aud: claims.aud,
    jti: claims.jti,
    token_type: 'Bearer',
    auth_time: claims.auth_time,
  };
}

export function introspectionEndpoint(deps: GrantDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await authenticateClient(deps.store, req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = field(body, 'token');
    if (!token) throw new InvalidRequest('token is missing');
    field(body, 'token_type_hint');
    const found = await findPresentedToken(deps, token, { checkExpiry: true });
    res.json(found && found.clientId === client.clientId ? await describeToken(deps, found) : INACTIVE);
  };
}
