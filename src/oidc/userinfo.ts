// The UserInfo endpoint (OIDC Core §5.3): the claims the access token's scopes release, `sub` first, with the
// person's groups and attribute values as they are now (issue 21), filtered by the token's client's groups-claim
// mode, for as long as the client's access rule still admits the person. The bearer token comes in the
// Authorization header or, for POST, the form body (RFC 6750 §2.1, §2.2); a DPoP-bound token (issue 28) only in the
// header, as `DPoP <token>` with a proof (RFC 9449 §7.1; the steps in src/oidc/resource-dpop.ts).
import type { Request, Response } from 'express';
import { errors as joseErrors, jwtVerify } from 'jose';
import { mayUse } from '../auth/access-rules.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { InvalidRequest, InvalidToken } from '../errors.js';
import { routeUrl } from '../http/routes.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { Store } from '../store/store.js';
import { ACCESS_TOKEN_TYPE } from '../tokens/access-token.js';
import type { ClaimCatalog } from './claim-catalog.js';
import { loadClaimFacts, scopedClaims } from './claims.js';
import { nonceForDpopRequest, type DpopProofs } from './dpop.js';
import { authorizationToken, boundKey, presentedProof, requireBinding, type AuthorizationToken } from './resource-dpop.js';

export interface UserinfoDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  keyRing: KeyRing;
  claimCatalog: ClaimCatalog;
  dpopProofs: DpopProofs;
}

function presentedToken(req: Request): AuthorizationToken {
  const fromHeader = authorizationToken(req.headers.authorization);
  // Stryker disable next-line ConditionalExpression: equivalent; only the POST route parses a form, so a GET has no req.body
  const body = req.method === 'POST' ? ((req.body ?? {}) as Record<string, unknown>).access_token : undefined;
  if (body !== undefined && typeof body !== 'string') throw new InvalidRequest('access_token is included more than once');
  // RFC 6750 §2: a client MUST NOT use more than one method to send the token.
  if (fromHeader !== null && body !== undefined) throw new InvalidRequest('the access token was sent in more than one way');
  // The form body carries bearer tokens only (RFC 6750 §2.2; RFC 9449 §7.1 defines the header alone).
  const presented = fromHeader ?? (body === undefined ? null : { scheme: 'Bearer' as const, token: body });
  if (!presented?.token) throw new InvalidToken('an access token is required', undefined, { challengeOnly: true });
  return presented;
}

export function userinfoEndpoint({ store, clock, config, keyRing, claimCatalog, dpopProofs }: UserinfoDependencies) {
  const audience = routeUrl(config.issuer, 'userinfo');
  return async (req: Request, res: Response): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    await nonceForDpopRequest(req, res, dpopProofs);
    const presented = presentedToken(req);
    const token = presented.token;
    const proof = await presentedProof(req, res, dpopProofs, 'userinfo', presented);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keyRing.verificationKeys, {
        issuer: config.issuer,
        audience,
        typ: ACCESS_TOKEN_TYPE,
        algorithms: ['RS256'],
        currentDate: new Date(clock.now()),
      }));
    } catch (error) {
      const reason = error instanceof joseErrors.JWTExpired ? 'the access token has expired' : 'the access token is not valid';
      throw new InvalidToken(reason, (error as Error).message);
    }
    // Stryker disable next-line ConditionalExpression: equivalent; findLive of a missing jti finds no record, as null stands for
    const record = typeof payload.jti === 'string' ? await store.accessTokens.findLive(payload.jti, clock.now()) : null;
    if (!record) throw new InvalidToken('the access token has been revoked');
    requireBinding(res, presented, proof, boundKey(record.jkt, payload));
    // A machine's token (client_credentials, issue 22) has no person to describe; its audience is an API anyway.
    if (record.userId === null) throw new InvalidToken('the access token is not for a person');
    if (record.userId !== payload.sub) throw new InvalidToken('the access token has been revoked');
    const user = await store.users.findById(record.userId);
    if (!user || user.disabled) throw new InvalidToken('the access token is no longer valid');
    // Stryker disable next-line ArrayDeclaration: equivalent; a scope name nobody defined releases no claim, as no scope does
    const scope = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    // The groups claim is filtered by the mode of the client the token was issued to; a deleted client's tokens
    // are gone with it, and one missing here is refused the same way.
    const client = await store.clients.findById(record.clientId);
    if (!client) throw new InvalidToken('the access token is no longer valid');
    // The access rule is checked here too, with the membership as it is now (issue 21): a person taken out of the
    // application's groups is refused at once, not only at the next refresh (src/oidc/grants/access-check.ts, which
    // also revokes the grant). loadClaimFacts reads the groups whenever the client is restricted.
    const facts = await loadClaimFacts(store, claimCatalog, client, user.id, scope);
    if (!mayUse(client, facts.groups ?? [])) {
      throw new InvalidToken('the access token is no longer valid', `access rule of ${client.clientId} refuses user ${user.id}`);
    }
    const claims = scopedClaims(user, scope, client, facts);
    // RFC 9449 §11.1: the proof's jti is spent only now, when nothing else can refuse the request.
    if (proof) await dpopProofs.spend(proof);
    res.json({ sub: user.id, ...claims });
  };
}
