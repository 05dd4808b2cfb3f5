// Where an authorization request's parameters come from (issue 28): the query or form itself; a pushed request named
// by `request_uri` (PAR, RFC 9126 §4: only the pushed parameters count, whatever else is sent beside); or a signed
// request object sent as `request` (JAR, RFC 9101 §6.3: only its claims count, client_id aside). Decided with only
// the outer client_id trusted, so an error here goes back by redirect only when the outer redirect_uri is registered
// for that client (RFC 9101 §6.3, OIDC Core §6.3); otherwise it is shown on our page, never redirected anywhere.
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { InvalidRequest, RequestUriNotSupported } from '../errors.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { RawParams } from './authorization-request.js';
import { clientKeysOf, type ClientKeys } from './client-jwks.js';
import { field } from './form-field.js';
import { consumePushedRequest, isPushedRequestUri } from './pushed-request-uri.js';
import { verifyRequestObject, type VerifiedRequestObject } from './request-object.js';

export interface RequestSourceDependencies {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'issuer' | 'requirePar' | 'allowPrivateClientUrls' | 'registrationAllowPrivateUrls'>;
  /** The private_key_jwt clients' keys (request objects are signed with them); by default the store's cache. */
  clientKeys?: ClientKeys;
}

/** The parameters the request is made of, and the request object whose jti is spent once they pass. */
export interface RequestSource {
  params: RawParams;
  /** How they came: a pushed request's, a request object's, or the request's own. */
  via: 'pushed' | 'request_object' | 'direct';
  requestObject: VerifiedRequestObject | null;
}

/** Whether this client's requests must be pushed first: the client's flag, or REQUIRE_PAR for everyone (RFC 9126 §5, §6). */
export function parRequired(config: Pick<Config, 'requirePar'>, client: ClientRecord): boolean {
  return config.requirePar || client.requirePushedAuthorizationRequests;
}

function verified(deps: RequestSourceDependencies, client: ClientRecord, request: string): Promise<VerifiedRequestObject> {
  return verifyRequestObject({ keys: keysOf(deps), issuer: deps.config.issuer, now: deps.clock.now() }, client, request);
}

export function keysOf(deps: RequestSourceDependencies): ClientKeys {
  return deps.clientKeys ?? clientKeysOf(deps.store, deps.clock, deps.config);
}

/**
 * The request's effective parameters at the authorization endpoint. Throws an OAuthError (the caller decides whether
 * it may be redirected). A pushed request is spent here, as soon as it is presented: single use, whatever follows.
 */
export async function requestSource(deps: RequestSourceDependencies, client: ClientRecord, params: RawParams): Promise<RequestSource> {
  const requestUri = field(params, 'request_uri');
  const request = field(params, 'request');
  // RFC 9101 §5: one or the other, never both.
  if (requestUri !== undefined && request !== undefined) throw new InvalidRequest('request and request_uri cannot both be sent');
  if (requestUri !== undefined) {
    // RFC 9126 §4 with OIDC Core §6.2: we fetch no request_uri; only the ones /par gave out name a request.
    if (!isPushedRequestUri(requestUri)) throw new RequestUriNotSupported('request_uri is supported only as returned by the pushed authorization request endpoint');
    const pushed = await consumePushedRequest(deps, client.clientId, requestUri);
    // RFC 9126 §4: the pushed parameters only; client_id beside them named the client they belong to.
    return { params: { ...pushed, client_id: client.clientId }, via: 'pushed', requestObject: null };
  }
  if (parRequired(deps.config, client)) {
    throw new InvalidRequest('pushed authorization requests are required for this client: push the request to the pushed authorization request endpoint and send its request_uri');
  }
  if (request !== undefined) {
    const object = await verified(deps, client, request);
    return { params: object.params, via: 'request_object', requestObject: object };
  }
  return { params, via: 'direct', requestObject: null };
}

/**
 * The parameters of a push (RFC 9126 §2.1) by the authenticated `client`: its own, or its request object's (§3). A
 * pushed request cannot itself name a request_uri.
 */
export async function pushedSource(deps: RequestSourceDependencies, client: ClientRecord, body: RawParams): Promise<RequestSource> {
  const clientId = field(body, 'client_id');
  if (clientId !== undefined && clientId !== client.clientId) throw new InvalidRequest('client_id differs from the authenticated client');
  if (body.request_uri !== undefined) throw new InvalidRequest('request_uri cannot be sent to the pushed authorization request endpoint');
  const request = field(body, 'request');
  if (request !== undefined) {
    const object = await verified(deps, client, request);
    return { params: object.params, via: 'request_object', requestObject: object };
  }
  // Client authentication's own parameters are not part of the authorization request.
  const { client_secret: _secret, client_assertion: _assertion, client_assertion_type: _type, request: _request, ...params } = body;
  return { params: { ...params, client_id: client.clientId }, via: 'direct', requestObject: null };
}
