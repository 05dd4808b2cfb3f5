// The redirect back to the client: a code (RFC 6749 §4.1.2) or an error (§4.1.2.1), always with the exact
// state and our issuer (RFC 9207), in the query: response_mode=query is the only one supported.
import { hashSecret, randomId, randomSecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { OAuthError } from '../errors.js';
import type { SessionRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { AuthorizationRequest, RedirectTarget } from './authorization-request.js';

/**
 * Appends parameters to a registered redirect URI without re-encoding the query it already has, so the
 * client sees its URI exactly as registered (OIDC Core §3.1.2.1: the query component is kept).
 */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
  const separator = !redirectUri.includes('?') ? '?' : redirectUri.endsWith('?') || redirectUri.endsWith('&') ? '' : '&';
  return redirectUri + separator + query;
}

export function errorRedirect(config: Config, error: OAuthError, target: RedirectTarget): string {
  return redirectWith(target.redirectUri, { error: error.error, error_description: error.description, state: target.state, iss: config.issuer });
}

export interface CodeIssuer {
  store: Store;
  clock: Clock;
  config: Config;
}

/** Stores a new single-use code (only its hash) bound to everything the token request must match. */
export async function issueCode({ store, clock, config }: CodeIssuer, request: AuthorizationRequest, session: SessionRecord): Promise<string> {
  const code = randomSecret();
  const now = clock.now();
  await store.codes.create({
    codeHash: hashSecret(code),
    grantId: randomId(),
    clientId: request.client.clientId,
    userId: session.userId,
    sessionIdHash: session.idHash,
    sid: session.sid,
    amr: session.amr,
    idp: session.idp ?? null,
    redirectUri: request.redirectUri,
    scope: request.scope.join(' '),
    nonce: request.nonce ?? null,
    codeChallenge: request.codeChallenge ?? null,
    codeChallengeMethod: request.codeChallenge ? 'S256' : null,
    authTime: session.authTime,
    resources: request.resources,
    // Issue 28 (RFC 9449 §10): redeemed only with a DPoP proof of this key.
    dpopJkt: request.dpopJkt ?? null,
    createdAt: now,
    expiresAt: now + config.lifetimes.authorizationCode * 1000,
  });
  return redirectWith(request.redirectUri, { code, state: request.state, iss: config.issuer });
}
