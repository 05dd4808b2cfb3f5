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
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
  const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
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
  const header = req.headers.authorization;
  if (header !== undefined && /^Basic /i.test(header)) {
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in a request.
    if (bodySecret !== undefined) throw new InvalidRequest('client credentials were sent both in the Authorization header and in the body');
    const credentials = fromBasicHeader(header);
    if (bodyId !== undefined && bodyId !== credentials.clientId) throw new InvalidRequest('client_id in the body differs from the Authorization header');
    return credentials;
  }
  if (!bodyId) throw new InvalidClient('client authentication is required', false);
  return { clientId: bodyId, secret: bodySecret, viaHeader: false };
}

/**
 * Returns the authenticated client or throws InvalidClient, taking the same path for every failure. Failures
 * are counted per client id and per address (src/auth/throttle.ts); past the limit the client is refused with
 * 429 before its secret is looked at, so guessing gains nothing.
 */
export async function authenticateClient(deps: ClientAuthDependencies, req: Request): Promise<ClientRecord> {
  const credentials = presented(req);
  const throttle = await deps.throttle.gate('client', credentials.clientId, req.ip);
  if (throttle.refusal) {
    const seconds = retryAfterSeconds(throttle.refusal.retryAt, deps.clock.now());
    await deps.store.audit.append({
      at: deps.clock.now(), type: 'client_auth.throttled', actor: 'anonymous', subject: null, clientId: credentials.clientId.slice(0, 200), ip: req.ip ?? null,
      outcome: 'failure', details: { by: throttle.refusal.by, retry_after: seconds },
    });
    throw new ClientAuthenticationThrottled(`too many failed client authentications; try again in ${seconds} seconds`, seconds);
  }
  const verified = await verify(deps.store, credentials);
  if ('refused' in verified) {
    await throttle.failed();
    throw new InvalidClient('client authentication failed', credentials.viaHeader, verified.refused);
  }
  await throttle.succeeded();
  return verified.client;
}

/** The client whose credentials these are, or why not (for the log only). */
async function verify(store: Store, credentials: PresentedCredentials): Promise<{ client: ClientRecord } | { refused: string }> {
  const client = await store.clients.findById(credentials.clientId);
  if (!client) return { refused: `unknown client ${credentials.clientId}` };
  if (client.clientType === 'public') {
    if (credentials.secret !== undefined) return { refused: 'a public client presented a secret' };
    return { client };
  }
  if (credentials.secret === undefined || client.secretHash === null) return { refused: 'a confidential client presented no secret' };
  // Constant-time comparison of hashes (secretMatchesHash).
  if (!secretMatchesHash(credentials.secret, client.secretHash)) return { refused: 'wrong client secret' };
  return { client };
}
