// Talks to Gatehouse through openid-client's functional API. Discovery is lazy and cached, so the app can
// start before Gatehouse does; a failed discovery is forgotten and tried again on the next request.
import { isIPv4 } from 'node:net';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

// No offline_access: the refresh token then lives only as long as the person's session at Gatehouse, so
// signing out there (or being disabled) also ends this app's ability to refresh (OIDC Core §11).
export const SCOPE = 'openid email profile';

/** Loopback only: localhost, 127.0.0.0/8 and [::1]. */
export function isLoopback(url) {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
}

export function createOidc({ issuer, clientId, clientSecret }) {
  let pending;

  async function discover() {
    const config = await client.discovery(
      issuer,
      clientId,
      clientSecret,
      // Gatehouse registers clients with client_secret_basic (RFC 6749 §2.3.1); openid-client's default is _post.
      client.ClientSecretBasic(clientSecret),
      // openid-client refuses plain http. A development issuer on this machine cannot be intercepted on the
      // network, so http is allowed for a loopback issuer and nowhere else.
      isLoopback(issuer) && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
    );
    const metadata = config.serverMetadata();
    // One key set for ID tokens and logout tokens; jose caches it and refetches when an unknown `kid` appears.
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    return { config, jwks, issuer: metadata.issuer };
  }

  /** The discovered configuration and key set; a failed discovery is retried on the next call. */
  function get() {
    pending ??= discover().catch((err) => {
      pending = undefined;
      throw err;
    });
    return pending;
  }

  /**
   * openid-client validates the ID token's claims but, as OIDC Core §3.1.3.7 allows for a token received
   * straight from the token endpoint over TLS, not its signature. This app trusts the claims for who is
   * signed in, so it checks the signature too.
   */
  async function verifyIdToken(idToken) {
    const { jwks, issuer: expectedIssuer } = await get();
    const { payload } = await jwtVerify(idToken, jwks, { issuer: expectedIssuer, audience: clientId, algorithms: ['RS256'] });
    return payload;
  }

  /** Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat and typ (RFC 8725 §3.11, so an ID token is refused). */
  async function verifyLogoutToken(logoutToken) {
    const { jwks, issuer: expectedIssuer } = await get();
    const { payload } = await jwtVerify(logoutToken, jwks, {
      issuer: expectedIssuer,
      audience: clientId,
      algorithms: ['RS256'],
      typ: 'logout+jwt',
      maxTokenAge: '2 minutes',
      requiredClaims: ['iat', 'jti', 'events'],
    });
    return payload;
  }

  return { get, verifyIdToken, verifyLogoutToken };
}
