// The demo API: a resource server that accepts Gatehouse access tokens (RFC 9068 JWTs) as Bearer tokens
// (RFC 6750), only those minted for it, and answers only the SPA's origin (CORS). Gatehouse knows it as an API
// (`idp api create --identifier <audience> --scope demo:read`); a client asks for a token for it with
// `resource=<audience>` (RFC 8707) and gets one whose `aud` is that identifier. Any client granted the API may
// call it (the SPA in the browser, the device CLI of examples/device-cli, a machine client): the audience, not a
// list of client ids, says who the token is for.
import express from 'express';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

// Failures of the issuer, not of the token: the caller should retry, not sign in again.
const UNAVAILABLE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

// RFC 6750 §2.1: b64token syntax.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * `audience`: this API's identifier as registered with Gatehouse (the `aud` its tokens carry); `scope`: the scope
 * a token must carry to read `/api/me`; `allowedOrigin`: the one browser origin CORS lets in.
 */
export function createApi({ issuer, audience, scope, allowedOrigin }) {
  // Discovered on the first request, not at start-up, so that the API does not need Gatehouse to be up first.
  let verifier = null;
  function discover() {
    verifier ??= (async () => {
      const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(url, { headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`discovery answered ${res.status}`);
      const metadata = await res.json();
      // OIDC Discovery 1.0 §4.3: the issuer in the document must be the one we were configured with.
      if (metadata.issuer !== issuer) throw new Error('discovery names another issuer');
      // jose keeps the key set cached and refetches it only for an unknown kid (after a key rotation),
      // no more often than its cooldown allows.
      return createRemoteJWKSet(new URL(metadata.jwks_uri));
    })();
    // A failed discovery is tried again at the next request instead of being cached.
    verifier.catch(() => {
      verifier = null;
    });
    return verifier;
  }

  const app = express();
  app.disable('x-powered-by');

  app.use((req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.vary('Origin');
    if (req.get('Origin') === allowedOrigin) {
      res.set('Access-Control-Allow-Origin', allowedOrigin);
      // Lets the SPA read why a token was refused (RFC 6750 §3).
      res.set('Access-Control-Expose-Headers', 'WWW-Authenticate');
    }
    next();
  });

  // The Authorization header makes the browser send a CORS preflight first.
  app.options('/api/me', (req, res) => {
    if (req.get('Origin') === allowedOrigin) {
      res.set('Access-Control-Allow-Methods', 'GET');
      res.set('Access-Control-Allow-Headers', 'Authorization');
      res.set('Access-Control-Max-Age', '600');
    }
    res.status(204).end();
  });

  app.get('/api/me', async (req, res) => {
    const refuse = () => {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      res.status(401).json({ error: 'invalid_token', error_description: 'the access token is missing, invalid, expired or not for this API' });
    };
    const authorization = req.get('Authorization');
    if (authorization === undefined) {
      // RFC 6750 §3.1: a request without any credentials gets the challenge but no error code.
      res.set('WWW-Authenticate', 'Bearer');
      return res.status(401).json({ error_description: 'an access token is required' });
    }
    const match = BEARER.exec(authorization);
    if (!match) return refuse();

    let payload;
    try {
      ({ payload } = await jwtVerify(match[1], await discover(), {
        issuer,
        // RFC 9068 §4, RFC 8707: a token for another API, or for Gatehouse's userinfo endpoint, is refused here
        // even though Gatehouse signed it.
        audience,
        algorithms: ['RS256'],
        // RFC 9068 §4: check the type so that an ID token or a logout token is never taken for an access token.
        typ: 'at+jwt',
      }));
    } catch (err) {
      if (err instanceof errors.JOSEError && !UNAVAILABLE.has(err.code)) return refuse();
      console.error(`api: cannot verify tokens now: ${err.message}`);
      return res.status(503).json({ error: 'temporarily_unavailable' });
    }
    // RFC 6750 §3.1: a valid token without the scope this call needs is a 403, naming the scope.
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    if (!scopes.includes(scope)) {
      res.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
      return res.status(403).json({ error: 'insufficient_scope', error_description: `the access token lacks the scope ${scope}` });
    }

    // Verified locally, the token is trusted until it expires: keep access tokens short-lived. `sub` is the person
    // (or, for a machine client, its client id, RFC 9068 §2.2); `client_id` the application that holds the token.
    const { sub, client_id } = payload;
    res.json({ sub, client_id, scope: payload.scope });
  });

  app.use((req, res) => res.status(404).json({ error: 'not_found' }));
  // Express 5 passes rejected promises here; never echo the request.
  // Four parameters: Express tells an error handler by its arity.
  app.use((err, req, res, _next) => {
    console.error(`api: ${err.message}`);
    res.status(500).json({ error: 'server_error' });
  });
  return app;
}
