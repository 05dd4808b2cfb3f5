// The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3): authenticate the client, then run its grant.
// Every answer, success or error, is JSON that no cache may keep (RFC 6749 §5.1).
import type { NextFunction, Request, Response } from 'express';
import { InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../errors.js';
import { authenticateClient } from './client-auth.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import type { GrantDependencies } from './grants/issue-tokens.js';

export const GRANT_TYPES_SUPPORTED = ['authorization_code'];

export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  next();
}

export function tokenEndpoint(deps: GrantDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // Guard-rail: the client is authenticated before anything touches the code.
    const client = await authenticateClient(deps.store, req);
    const grantType = body.grant_type;
    if (grantType === undefined || grantType === '') throw new InvalidRequest('grant_type is missing');
    if (typeof grantType !== 'string') throw new InvalidRequest('grant_type is included more than once');
    if (!GRANT_TYPES_SUPPORTED.includes(grantType)) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`this client may not use grant_type ${grantType}`);
    res.json(await authorizationCodeGrant(deps, client, body));
  };
}
