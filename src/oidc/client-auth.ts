// Client authentication at the token endpoint (RFC 6749 §2.3.1, OIDC Core §9): client_secret_basic,
// client_secret_post, private_key_jwt (RFC 7523 §2.2, src/oidc/client-assertion.ts), or none for public clients,
// who are then bound by PKCE instead. The revocation, introspection, device authorization and pushed authorization
// request (RFC 9126 §2) endpoints authenticate clients the same way, through authenticateClient.
import type { Request } from 'express';
import { secretMatchesHash } from '../auth/secrets.js';
import { retryAfterSeconds, type Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ClientAuthenticationThrottled, InvalidClient, InvalidRequest } from '../errors.js';
import { routes, routeUrl, type RouteName } from '../http/routes.js';
import type { ClientSightings } from '../signing/client-sightings.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { assertionIssuer, JWT_BEARER_ASSERTION, verifyClientAssertion, type AssertionFailure } from './client-assertion.js';
import { clientKeysOf, type ClientKeys } from './client-jwks.js';

export interface ClientAuthDependencies {
  store: Store;
  clock: Clock;
  throttle: Throttle;
  /**
   * The issuer and its endpoints (what a client assertion's `aud` must name), and whether a jwks_uri may be on a
   * private or special-purpose address (ALLOW_PRIVATE_CLIENT_URLS, src/http/outbound-request.ts).
   */
  config: Pick<Config, 'issuer' | 'allowPrivateClientUrls' | 'registrationAllowPrivateUrls'>;
  /** The private_key_jwt clients' keys; by default one cache per store (src/oidc/client-jwks.ts). */
  clientKeys?: ClientKeys;
  /** Issue 26: told where each confidential client authenticated from (key rotation readiness); absent, nobody is. */
  sightings?: ClientSightings;
}

export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];

/** A client id and secret (Basic header or form body), or a client id alone (a public client, or none given). */
interface PresentedSecret {
  kind: 'secret';
  clientId: string;
  secret: string | undefined;
  viaHeader: boolean;
}

/** A client assertion (RFC 7523 §2.2); the client is the body's client_id, or else the assertion's `iss`. */
interface PresentedAssertion {
  kind: 'assertion';
  clientId: string | null;
  assertion: string;
  viaHeader: false;
}

type PresentedCredentials = PresentedSecret | PresentedAssertion;

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined and base64-encoded. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function fromBasicHeader(header: string): PresentedSecret {
  // Stryker disable next-line MethodExpression: equivalent but for a trailing latin-1 no-break space; Node already strips the spaces and tabs around a header value (RFC 9110 §5.5)
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  const decoded = match?.[1]
    ? Buffer.from(match[1], 'base64').toString('utf8')
    : // Stryker disable next-line StringLiteral: equivalent; any other text without a colon is refused just below, as '' is
      '';
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new InvalidClient('the Authorization header does not hold client credentials', true);
  try {
    return { kind: 'secret', clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)), viaHeader: true };
  } catch {
    throw new InvalidClient('the client credentials are not correctly encoded', true);
  }
}

/** RFC 7523 §2.2: client_assertion_type and client_assertion come together; the body's client_id is optional. */
function fromAssertion(body: Record<string, unknown>, bodyId: string | undefined): PresentedAssertion {
  const { client_assertion: assertion, client_assertion_type: type } = body;
  if ((assertion !== undefined && typeof assertion !== 'string') || (type !== undefined && typeof type !== 'string')) {
    throw new InvalidRequest('client_assertion and client_assertion_type must each be sent once');
  }
  if (type !== JWT_BEARER_ASSERTION) throw new InvalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
  if (!assertion) throw new InvalidRequest('client_assertion is missing');
  return { kind: 'assertion', clientId: bodyId || assertionIssuer(assertion), assertion, viaHeader: false };
}

function presented(req: Request): PresentedCredentials {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const bodyId = body.client_id;
  const bodySecret = body.client_secret;
  if ((bodyId !== undefined && typeof bodyId !== 'string') || (bodySecret !== undefined && typeof bodySecret !== 'string')) {
    throw new InvalidRequest('client_id and client_secret must each be sent once');
  }
  const header = req.headers.authorization ?? '';
  // A bare `Basic` (Node trims the value) is an attempt too: RFC 6749 §5.2 answers it with 401 and the challenge.
  const basic = /^Basic(?: |$)/i.test(header);
  if (body.client_assertion !== undefined || body.client_assertion_type !== undefined) {
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in a request.
    if (basic || bodySecret !== undefined) throw new InvalidRequest('a client assertion was sent together with a client secret: use one authentication method');
    return fromAssertion(body, bodyId);
  }
  if (basic) {
    if (bodySecret !== undefined) throw new InvalidRequest('client credentials were sent both in the Authorization header and in the body');
    const credentials = fromBasicHeader(header);
    if (bodyId !== undefined && bodyId !== credentials.clientId) throw new InvalidRequest('client_id in the body differs from the Authorization header');
    return credentials;
  }
  if (!bodyId) throw new InvalidClient('client authentication is required', false);
  return { kind: 'secret', clientId: bodyId, secret: bodySecret, viaHeader: false };
}

/** Why client authentication failed, as the audit log records it: a category, never what was presented. */
export type ClientAuthFailure = 'unknown_client' | 'wrong_secret' | 'missing_secret' | 'public_client_sent_secret' | 'wrong_method' | AssertionFailure;

/**
 * Returns the authenticated client or throws InvalidClient, taking the same path for every failure, whatever the
 * method. The credentials are checked first, always: a client id is public (every authorization URL carries it), so
 * nothing a stranger does may refuse the right secret or assertion, or a public client's PKCE redemption. Only
 * failures count, on the client address alone (Throttle.clientFailure: 100 an hour); an address past its budget
 * has its failures answered 429 with Retry-After, and its right credentials still served: the 256-bit secrets
 * (randomSecret) and the clients' private keys are what defeats guessing (RFC 6819 §5.1.4.2.2), so a block before
 * the check would only lock out whoever shares the address. Each counted failure is audited (client_auth.failed,
 * with its category and method); the failure that uses up the budget also as client_auth.throttled. Failures
 * refused while blocked are logged, not audited, so that one address cannot grow the audit log without end.
 */
export async function authenticateClient(deps: ClientAuthDependencies, req: Request): Promise<ClientRecord> {
  const credentials = presented(req);
  const verified = await verify(deps, req, credentials);
  if ('client' in verified) {
    // A public client proves nothing by its client id alone: only authenticated clients are sighted.
    if (verified.client.clientType !== 'public') deps.sightings?.saw(verified.client.clientId, req.ip, req.headers['user-agent']);
    return verified.client;
  }
  const failure = await deps.throttle.clientFailure(req.ip);
  const now = deps.clock.now();
  if (!failure.counted) {
    const seconds = retryAfterSeconds(failure.retryAt, now);
    throw new ClientAuthenticationThrottled(`too many failed client authentications from this address; try again in ${seconds} seconds`, seconds);
  }
  const event = { at: now, actor: 'anonymous', subject: null, clientId: verified.clientId, ip: req.ip ?? null, outcome: 'failure' } as const;
  await deps.store.audit.append({ ...event, type: 'client_auth.failed', details: { reason: verified.refused, method: methodOf(credentials) } });
  if (failure.blockedUntil !== null) {
    await deps.store.audit.append({ ...event, type: 'client_auth.throttled', details: { by: 'address', retry_after: retryAfterSeconds(failure.blockedUntil, now) } });
  }
  throw new InvalidClient('client authentication failed', credentials.viaHeader, verified.detail);
}

function methodOf(credentials: PresentedCredentials): string {
  if (credentials.kind === 'assertion') return 'private_key_jwt';
  if (credentials.viaHeader) return 'client_secret_basic';
  return credentials.secret === undefined ? 'none' : 'client_secret_post';
}

type Verified = { client: ClientRecord } | { refused: ClientAuthFailure; detail: string; clientId: string | null };

/** The endpoints that authenticate clients; an assertion may name the one it is sent to (RFC 7523 §3 (3)). */
const CLIENT_AUTH_ENDPOINTS: RouteName[] = ['token', 'introspection', 'revocation', 'deviceAuthorization', 'pushedAuthorization'];

/**
 * What a client assertion's `aud` may be: the issuer, the token endpoint, and the URL of the endpoint called (found
 * by its route, so that a proxy that rewrites the path in front of us changes nothing).
 */
function assertionAudiences(issuer: string, req: Request): string[] {
  const path = (req.originalUrl || req.url).split('?')[0] ?? '';
  const called = CLIENT_AUTH_ENDPOINTS.find((name) => path.endsWith(routes[name]));
  const audiences = [issuer, routeUrl(issuer, 'token')];
  if (called !== undefined && called !== 'token') audiences.push(routeUrl(issuer, called));
  return audiences;
}

/**
 * The client whose credentials these are, or why not: the category for the audit log, the detail for the log
 * only, and the client id when it names a registered client (an unknown one, chosen by whoever sent it, is kept
 * out of the audit log). A client authenticates with the method it registered (RFC 6749 §2.3, OIDC Core §9):
 * a private_key_jwt client with its assertion only, any other client never with one. A client registered for
 * client_secret_basic may still send its secret in the body, as before.
 */
async function verify(deps: ClientAuthDependencies, req: Request, credentials: PresentedCredentials): Promise<Verified> {
  if (credentials.clientId === null) return { refused: 'invalid_assertion', detail: 'the client assertion names no client (iss) and the request no client_id', clientId: null };
  const client = await deps.store.clients.findById(credentials.clientId);
  if (!client) return { refused: 'unknown_client', detail: `unknown client ${credentials.clientId.slice(0, 200)}`, clientId: null };
  const refused = (reason: ClientAuthFailure, detail: string): Verified => ({ refused: reason, detail, clientId: client.clientId });
  const keyClient = client.tokenEndpointAuthMethod === 'private_key_jwt';
  if (credentials.kind === 'assertion') {
    if (!keyClient) return refused('wrong_method', `a client registered for ${client.tokenEndpointAuthMethod} presented a client assertion`);
    const outcome = await verifyClientAssertion(
      { store: deps.store, keys: deps.clientKeys ?? clientKeysOf(deps.store, deps.clock, deps.config), audiences: assertionAudiences(deps.config.issuer, req), now: deps.clock.now() },
      client,
      credentials.assertion,
    );
    return outcome.valid ? { client } : refused(outcome.refused, outcome.detail);
  }
  if (keyClient) return refused('wrong_method', 'a private_key_jwt client presented no client assertion');
  if (client.clientType === 'public') {
    if (credentials.secret !== undefined) return refused('public_client_sent_secret', 'a public client presented a secret');
    return { client };
  }
  if (
    credentials.secret === undefined ||
    // Stryker disable next-line ConditionalExpression: equivalent; the schema's CHECK gives every confidential client without private_key_jwt a secret hash: this test only narrows the type
    client.secretHash === null
  )
    return refused('missing_secret', 'a confidential client presented no secret');
  // Constant-time comparison of hashes (secretMatchesHash).
  if (!secretMatchesHash(credentials.secret, client.secretHash)) return refused('wrong_secret', 'wrong client secret');
  return { client };
}
