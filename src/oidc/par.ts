// The pushed authorization request endpoint (RFC 9126 §2): the client sends its authorization request straight to us,
// authenticated as at the token endpoint (every method it accepts, src/oidc/client-auth.ts), instead of through the
// browser, where it could be read or altered. It is checked exactly as the authorization endpoint checks a request
// (src/oidc/authorization-request.ts checkedRequest), a request object inside it too (RFC 9126 §3, RFC 9101), and
// stored for 60 seconds under a single-use request_uri (src/oidc/pushed-request-uri.ts). Every error is JSON (RFC 9126
// §2.3): nothing is redirected from here, the client is on the line. A DPoP proof sent with the push (RFC 9449 §10.1)
// binds the code the request will yield to the proof's key, as `dpop_jkt` would.
// Order: the DPoP proof is checked (no write), the client authenticated, the request checked (no write); only then are
// the proof's and the request object's jti spent and the request stored: a refused push writes nothing.
import type { Request, Response } from 'express';
import { InvalidRequest, UntrustedAuthorizationRequest } from '../errors.js';
import type { PushedRequestRecord } from '../store/records.js';
import { AuthorizationErrorRedirect, checkedRequest, type AuthorizationParseDependencies, type AuthorizationRequest, type RawParams } from './authorization-request.js';
import { authenticateClient, type ClientAuthDependencies } from './client-auth.js';
import { nonceForDpopRequest, type DpopProofs } from './dpop.js';
import { PAR_LIFETIME_SECONDS, storePushedRequest } from './pushed-request-uri.js';
import { spendRequestObject } from './request-object.js';
import { refuseThrottled } from './registration-http.js';
import { pushedSource } from './request-sources.js';

export type ParDependencies = ClientAuthDependencies &
  AuthorizationParseDependencies & {
    /** The app's one DpopProofs (src/oidc/dpop.ts). */
    dpopProofs: DpopProofs;
  };

/** The authorization endpoint's checks, with its errors as this endpoint answers them: JSON, never a page or a redirect. */
async function checkedPush(deps: ParDependencies, client: AuthorizationRequest['client'], params: RawParams): Promise<AuthorizationRequest> {
  try {
    return await checkedRequest(deps.store, deps.claimCatalog, client, params);
  } catch (error) {
    if (error instanceof AuthorizationErrorRedirect) throw error.error;
    // The page's message ("the address … is not registered") says it as well to a developer.
    if (error instanceof UntrustedAuthorizationRequest) throw new InvalidRequest(error.message);
    throw error;
  }
}

/** What is kept: text and lists of text (a repeated `resource`), as a form or a request object gives them. */
function storable(params: RawParams): PushedRequestRecord['params'] {
  const kept: PushedRequestRecord['params'] = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') kept[name] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) kept[name] = value;
  }
  return kept;
}

/**
 * Throttle.admitAddress('authorize'); past the budget, 429 with Retry-After (RFC 9126 §2.3, RFC 6585 §4) as the
 * registration endpoints answer it (refuseThrottled), nothing stored.
 */
async function admittedPush(deps: ParDependencies, req: Request, res: Response): Promise<boolean> {
  const admission = await deps.throttle.admitAddress('authorize', req.ip);
  if (admission.allowed) return true;
  // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only
  req.log.info({ retryAt: admission.retryAt }, 'pushed authorization request refused: too many from this address');
  refuseThrottled(res, admission.retryAt, deps.clock, 'authorization requests');
  return false;
}

export function parEndpoint(deps: ParDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as RawParams;
    // RFC 9449 §8.1: every answer to a request with a proof, error or not, gives the nonce for the next one.
    await nonceForDpopRequest(req, res, deps.dpopProofs);
    const proof = await deps.dpopProofs.check(req, { route: 'pushedAuthorization' });
    const client = await authenticateClient(deps, req);
    const source = await pushedSource(deps, client, body);
    const request = await checkedPush(deps, client, source.params);
    // A public client's push is anyone's (its client_id is public): the rows one address may leave are bounded, under
    // the authorization endpoint's budget. A confidential client pushes from its own server for all its users, so
    // it is not counted per address: it authenticated, and an administrator can disable it.
    if (client.clientType === 'public' && !(await admittedPush(deps, req, res))) return;
    let params = source.params;
    if (proof) {
      // RFC 9449 §10.1: dpop_jkt beside a proof names the same key, or the request is contradictory.
      if (request.dpopJkt !== undefined && request.dpopJkt !== proof.jkt) throw new InvalidRequest('dpop_jkt differs from the thumbprint of the DPoP proof key');
      params = { ...params, dpop_jkt: proof.jkt };
      await deps.dpopProofs.spend(proof);
    }
    if (source.requestObject) await spendRequestObject(deps.store, client, source.requestObject);
    const requestUri = await storePushedRequest(deps, client.clientId, storable(params));
    // RFC 9126 §2.2: 201 Created, the request_uri and how long it lives.
    res.status(201).json({ request_uri: requestUri, expires_in: PAR_LIFETIME_SECONDS });
  };
}
