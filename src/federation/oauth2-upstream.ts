// Gatehouse as the client of a plain OAuth 2 provider that is not OpenID Connect (GitHub and its like, issue 23):
// the authorization code grant with PKCE S256 and `state` (RFC 6749 §4.1, RFC 7636), no nonce and no ID token;
// who the person is comes from the user-info URL, read with the access token (RFC 6750 §2.1) and mapped with the
// provider's claim paths. openid-client does the protocol on server metadata built from the three configured URLs
// (there is no discovery); its issuer is the authorization URL's origin, which an RFC 9207 `iss` in the callback,
// if the upstream sends one, must name.
//
// GitHub's quirks, met here: its token endpoint answers JSON only to `Accept: application/json` (openid-client
// sends it), and answers a refused code with 200 and `{"error": …}`, which is turned into the 400 error answer it
// means (RFC 6749 §5.2) before openid-client reads it. The client authenticates with client_secret_post, the one
// method every such provider documents (GitHub's own documentation names only the body parameters).
import * as oidc from 'openid-client';
import { UpstreamSignInFailed } from '../errors.js';
import type { OAuth2Settings } from './provider-settings.js';
import { backstopSeconds, callbackAt, type KindClient, type KindClientOptions } from './oidc-upstream.js';
import { checkCallback, checkUpstreamUrl, needsInsecureRequests, unavailable, upstreamFailure, upstreamFetch, type UpstreamFetch } from './upstream-fetch.js';

export function createOAuth2Upstream(settings: OAuth2Settings, options: KindClientOptions): KindClient {
  const { name, timeoutMs, secret } = options;
  const authorizationUrl = checkUpstreamUrl(settings.authorizationUrl, name);
  const tokenUrl = checkUpstreamUrl(settings.tokenUrl, name);
  const userinfoUrl = checkUpstreamUrl(settings.userinfoUrl, name);
  const metadata: oidc.ServerMetadata = {
    issuer: authorizationUrl.origin,
    authorization_endpoint: authorizationUrl.href,
    token_endpoint: tokenUrl.href,
    userinfo_endpoint: userinfoUrl.href,
  };
  const baseFetch = upstreamFetch({ timeoutMs });

  /** The token endpoint's error answered with 200 (GitHub) becomes the 400 it means; nothing else changes. */
  const fetcher: UpstreamFetch = async (url, init) => {
    const response = await baseFetch(url, init);
    if (response.status !== 200 || new URL(url).href !== tokenUrl.href) return response;
    const body = (await response
      .clone()
      .json()
      .catch(() => null)) as { error?: unknown } | null;
    if (body === null || typeof body.error !== 'string') return response;
    return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
  };

  const configure = (): oidc.Configuration => {
    const config = new oidc.Configuration(metadata, settings.clientId, undefined, oidc.ClientSecretPost(secret));
    config.timeout = backstopSeconds(timeoutMs);
    config[oidc.customFetch] = fetcher;
    // Plain http only ever on a loopback host (checkUpstreamUrl above, and upstreamFetch on every request).
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to stand out as development use
    if (needsInsecureRequests(authorizationUrl, tokenUrl, userinfoUrl)) oidc.allowInsecureRequests(config);
    return config;
  };

  return {
    async beginSignIn(redirectUri, signInOptions) {
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const parameters: Record<string, string> = {
        redirect_uri: redirectUri,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
      };
      // RFC 6749 §3.3: space-delimited; none configured, none sent (the provider's default applies).
      if (settings.scopes.length > 0) parameters.scope = settings.scopes.join(' ');
      if (signInOptions?.loginHint) parameters.login_hint = signInOptions.loginHint;
      return { url: oidc.buildAuthorizationUrl(configure(), parameters).href, state, nonce: null, codeVerifier };
    },

    async finishSignIn(callbackUrl, expected, redirectUri) {
      checkCallback(name, callbackUrl.searchParams, expected.state, metadata.issuer, false);
      const config = configure();
      let accessToken: string;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackAt(redirectUri, callbackUrl), {
          pkceCodeVerifier: expected.codeVerifier,
          expectedState: expected.state,
        });
        accessToken = tokens.access_token;
      } catch (error) {
        throw upstreamFailure(name, 'token request', error);
      }
      let claims: unknown;
      try {
        const response = await oidc.fetchProtectedResource(config, accessToken, userinfoUrl, 'GET', null, new Headers({ accept: 'application/json' }));
        if (response.status !== 200)
          throw new UpstreamSignInFailed(unavailable(name), `userinfo: the upstream answered ${response.status}`).shown('federation.upstream.unavailable', { provider: name });
        claims = await response.json();
      } catch (error) {
        throw upstreamFailure(name, 'userinfo', error);
      }
      if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
        throw new UpstreamSignInFailed(unavailable(name), 'userinfo: the answer is not a JSON object').shown('federation.upstream.unavailable', { provider: name });
      }
      return { claims: claims as Record<string, unknown>, amr: [] };
    },
  };
}
