// Client authentication at the token endpoint (RFC 6749 §2.3.1, OIDC Core §9): client_secret_basic,
// client_secret_post, or none for public clients, who are then bound by PKCE instead.
import type { Request } from 'express';
import { secretMatchesHash } from '../auth/secrets.js';
import { retryAfterSeconds, type Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import { ClientAuthenticationThrottled, InvalidClient, InvalidRequest } from '../errors.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface ClientAuthDependencies {
  store: Store;
  clock: Clock;
  throttle: Throttle;
}

export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];

interface PresentedCredentials {
  clientId: string;
  secret: string | undefined;
  viaHeader: boolean;
}

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined and base64-encoded. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function fromBasicHeader(header: string): PresentedCredentials {
  // Stryker disable next-line MethodExpression: equivalent but for a trailing latin-1 no-break space; Node already strips the spaces and tabs around a header value (RFC 9110 §5.5)
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  const decoded = match?.[1]
    ? Buffer.from(match[1], 'base64').toString('utf8')
    : // Stryker disable next-line StringLiteral: equivalent; any other text without a colon is refused just below, as '' is
      '';
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new InvalidClient('the Authorization header does not hold client credentials', true);
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)), viaHeader: true };
  } catch {
    throw new InvalidClient('the client credentials are not correctly encoded', true);
  }
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
  if (/^Basic(?: |$)/i.test(header)) {
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in a request.
    if (bodySecret !== undefined) throw new InvalidRequest('client credentials were sent both in the Authorization header and in the body');
    const credentials = fromBasicHeader(header);
    if (bodyId !== undefined && bodyId !== credentials.clientId) throw new InvalidRequest('client_id in the body differs from the Authorization header');
    return credentials;
  }
  if (!bodyId) throw new InvalidClient('client authentication is required', false);
  return { clientId: bodyId, secret: bodySecret, viaHeader: false };
}

/** Why client authentication failed, as the audit log records it: a category, never what was presented. */
export type ClientAuthFailure = 'unknown_client' | 'wrong_secret' | 'missing_secret' | 'public_client_sent_secret';

/**
 * Returns the authenticated client or throws InvalidClient, taking the same path for every failure. The
 * credentials are checked first, always: a client id is public (every authorization URL carries it), so nothing
 * a stranger does may refuse the right secret, or a public client's PKCE redemption. Only failures count, on the
 * client address alone (Throttle.clientFailure: 100 an hour); an address past its budget has its failures
 * answered 429 with Retry-After, and its right credentials still served: the 256-bit secrets (randomSecret) are
 * what defeats guessing (RFC 6819 §5.1.4.2.2), so a block before the secret would only lock out whoever shares
 * the address. Each counted failure is audited (client_auth.failed, with its category); the failure that uses up
 * the budget also as client_auth.throttled. Failures refused while blocked are logged, not audited, so that one
 * address cannot grow the audit log without end.
 */
export async function authenticateClient(deps: ClientAuthDependencies, req: Request): Promise<ClientRecord> {
  const credentials = presented(req);
  const verified = await verify(deps.store, credentials);
  if ('client' in verified) return verified.client;
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
  if (credentials.viaHeader) return 'client_secret_basic';
  return credentials.secret === undefined ? 'none' : 'client_secret_post';
}

type Verified = { client: ClientRecord } | { refused: ClientAuthFailure; detail: string; clientId: string | null };

/**
 * The client whose credentials these are, or why not: the category for the audit log, the detail for the log
 * only, and the client id when it names a registered client (an unknown one, chosen by whoever sent it, is kept
 * out of the audit log).
 */
async function verify(store: Store, credentials: PresentedCredentials): Promise<Verified> {
  const client = await store.clients.findById(credentials.clientId);
  if (!client) return { refused: 'unknown_client', detail: `unknown client ${credentials.clientId.slice(0, 200)}`, clientId: null };
  const refused = (reason: ClientAuthFailure, detail: string): Verified => ({ refused: reason, detail, clientId: client.clientId });
  if (client.clientType === 'public') {
    if (credentials.secret !== undefined) return refused('public_client_sent_secret', 'a public client presented a secret');
    return { client };
  }
  if (
    credentials.secret === undefined ||
    // Stryker disable next-line ConditionalExpression: equivalent; the schema's CHECK gives every confidential client a secret hash: this test only narrows the type
    client.secretHash === null
  )
    return refused('missing_secret', 'a confidential client presented no secret');
  // Constant-time comparison of hashes (secretMatchesHash).
  if (!secretMatchesHash(credentials.secret, client.secretHash)) return refused('wrong_secret', 'wrong client secret');
  return { client };
}
