// The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3): authenticate the client, then run its grant.
// Every answer, success or error, is JSON that no cache may keep (RFC 6749 §5.1).
// Issue 28: a DPoP proof (RFC 9449 §5) is checked before the client is authenticated (a check writes nothing), and
// its jti spent after (so that nobody burns a client's proof by sending it with wrong credentials); the grant then
// binds the tokens to the proof's key. Every answer to a request with a DPoP header carries a fresh DPoP-Nonce.
import type { NextFunction, Request, Response } from 'express';
import { InvalidDpopProof, InvalidRequest, UnauthorizedClient, UnsupportedGrantType } from '../errors.js';
import { metrics } from '../metrics/metrics.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type ClientRecord } from '../store/records.js';
import { authenticateClient, type ClientAuthDependencies } from './client-auth.js';
import { authorizationCodeGrant } from './grants/authorization-code.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { nonceForDpopRequest, type DpopProofs } from './dpop.js';
import { deviceCodeGrant } from './grants/device-code.js';
import type { GrantDependencies, TokenRequestContext, TokenResponse } from './grants/issue-tokens.js';
import { refreshTokenGrant } from './grants/refresh-token.js';

/** Every grant answers with an access token (RFC 6749 §5.1); an ID token and a refresh token only when it has them. */
type GrantHandler = (deps: GrantDependencies, client: ClientRecord, body: Record<string, unknown>, context: TokenRequestContext) => Promise<TokenResponse>;

const GRANTS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  [CLIENT_CREDENTIALS_GRANT]: clientCredentialsGrant,
  [DEVICE_CODE_GRANT]: deviceCodeGrant,
};

/** Advertised by discovery; the handlers above are the one list. */
export const GRANT_TYPES_SUPPORTED = Object.keys(GRANTS);

export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  next();
}

export type TokenEndpointDependencies = GrantDependencies & ClientAuthDependencies & { dpopProofs: DpopProofs };

export function tokenEndpoint(deps: TokenEndpointDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // RFC 9449 §8: the nonce goes out with every answer, errors included (set now, the error handler keeps it).
    await nonceForDpopRequest(req, res, deps.dpopProofs);
    const proof = await deps.dpopProofs.check(req, { route: 'token' });
    // Guard-rail: the client is authenticated before anything touches the code or refresh token.
    const client = await authenticateClient(deps, req);
    const grantType = body.grant_type;
    if (grantType === undefined || grantType === '') throw new InvalidRequest('grant_type is missing');
    if (typeof grantType !== 'string') throw new InvalidRequest('grant_type is included more than once');
    // Object.hasOwn, so that a grant_type such as `constructor` is not found on the prototype.
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`this client may not use grant_type ${grantType}`);
    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens receives DPoP-bound tokens only.
    if (proof === null && client.dpopBoundAccessTokens) throw new InvalidDpopProof('this client must send a DPoP proof');
    if (proof !== null) await deps.dpopProofs.spend(proof);
    const tokens = await grant(deps, client, body, { dpopJkt: proof?.jkt ?? null });
    // Issue 26: gatehouse_tokens_issued_total{grant}; grantType is one of GRANTS' keys, a bounded label.
    metrics.tokensIssued(grantType);
    res.json(tokens);
  };
}
