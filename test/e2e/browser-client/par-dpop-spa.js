/* global document, location, sessionStorage, indexedDB, crypto, URL, URLSearchParams */
// A browser-based public client of Gatehouse, as a single-page application would be written with oauth4webapi (its
// one ES module, no dependencies, served by the test next to this file): PAR + PKCE + DPoP (RFC 9126, RFC 7636,
// RFC 9449). Its DPoP key is a WebCrypto key pair whose private key is not extractable: script injected into the page
// may read the tokens, never the key. The key survives the redirect to Gatehouse and back in IndexedDB (a CryptoKey
// is stored as a structured clone, still not extractable); the PKCE verifier, state and nonce in sessionStorage.
//
// The page at / starts the flow; the redirect URI /callback finishes it: the code exchange, userinfo and one refresh,
// every request with a DPoP proof. What happened is written into <pre id="result"> as JSON (data-state="done", or
// "failed" with the error), which the test reads: the tokens there are what a thief in the page would take. Then the
// button "Refresh again" refreshes once more with the latest refresh token, into <pre id="again">.
import * as oauth from '/oauth4webapi.js';

const settings = JSON.parse(document.getElementById('settings').textContent);
const issuer = new URL(settings.issuer);
const client = { client_id: settings.clientId };
const clientAuth = oauth.None();
// The test's issuer is http on a loopback address; a real one is https and needs no such option.
const http = { [oauth.allowInsecureRequests]: true };

function show(state, value, into = 'result') {
  const result = document.getElementById(into);
  result.textContent = JSON.stringify(value);
  result.dataset.state = state;
}

function keyStore() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open('par-dpop-spa', 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore('keys');
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

async function keys(mode, write) {
  const db = await keyStore();
  return new Promise((resolve, reject) => {
    const request = write(db.transaction('keys', mode).objectStore('keys'));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function discover() {
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, http));
}

/**
 * Runs `attempt`, and once more when the server asks for its nonce (RFC 9449 §8: `use_dpop_nonce`, which Gatehouse
 * answers to a first proof): the DPoP handle has kept the nonce of the DPoP-Nonce header by then.
 */
async function withNonce(attempt) {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

async function start() {
  const as = await discover();
  // oauth4webapi makes keys non-extractable unless told otherwise.
  const keyPair = await oauth.generateKeyPair('ES256');
  await keys('readwrite', (store) => store.put(keyPair, 'dpop'));
  const dpop = oauth.DPoP(client, keyPair);
  const flow = { codeVerifier: oauth.generateRandomCodeVerifier(), state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce() };
  sessionStorage.setItem('flow', JSON.stringify(flow));
  const parameters = new URLSearchParams({
    redirect_uri: settings.redirectUri,
    response_type: 'code',
    scope: 'openid email profile',
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(flow.codeVerifier),
    code_challenge_method: 'S256',
  });
  const pushed = await withNonce(async () =>
    oauth.processPushedAuthorizationResponse(as, client, await oauth.pushedAuthorizationRequest(as, client, clientAuth, parameters, { DPoP: dpop, ...http })),
  );
  // RFC 9126 §4: only client_id and request_uri travel through the browser.
  const authorize = new URL(as.authorization_endpoint);
  authorize.searchParams.set('client_id', client.client_id);
  authorize.searchParams.set('request_uri', pushed.request_uri);
  sessionStorage.setItem('pushed', JSON.stringify({ requestUri: pushed.request_uri, expiresIn: pushed.expires_in }));
  location.assign(authorize.href);
}

async function finish() {
  const as = await discover();
  const keyPair = await keys('readonly', (store) => store.get('dpop'));
  const dpop = oauth.DPoP(client, keyPair);
  const flow = JSON.parse(sessionStorage.getItem('flow'));
  // Checks state and, as discovery advertises it, iss (RFC 9207).
  const callback = oauth.validateAuthResponse(as, client, new URL(location.href), flow.state);
  const tokens = await withNonce(async () =>
    oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, callback, settings.redirectUri, flow.codeVerifier, { DPoP: dpop, ...http }),
      { expectedNonce: flow.nonce },
    ),
  );
  const { sub } = oauth.getValidatedIdTokenClaims(tokens);
  const userinfo = await withNonce(async () => oauth.processUserInfoResponse(as, client, sub, await oauth.userInfoRequest(as, client, tokens.access_token, { DPoP: dpop, ...http })));
  const refreshed = await withNonce(async () =>
    oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, { DPoP: dpop, ...http })),
  );
  let exported = 'refused';
  try {
    await crypto.subtle.exportKey('jwk', keyPair.privateKey);
    exported = 'exported';
  } catch {
    // The point: the private key cannot be taken out of the browser.
  }
  let latest = refreshed.refresh_token;
  const again = document.getElementById('refresh-again');
  again.addEventListener('click', () => {
    withNonce(async () => oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, latest, { DPoP: dpop, ...http }))).then(
      (next) => {
        latest = next.refresh_token;
        show('done', { tokenType: next.token_type, accessToken: next.access_token, refreshToken: next.refresh_token }, 'again');
      },
      (error) => show('failed', { name: error?.name, message: error?.message, error: error?.error, description: error?.error_description }, 'again'),
    );
  });
  again.disabled = false;
  show('done', {
    pushed: JSON.parse(sessionStorage.getItem('pushed')),
    tokenType: tokens.token_type,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    userinfo,
    refreshedTokenType: refreshed.token_type,
    refreshedAccessToken: refreshed.access_token,
    refreshedRefreshToken: refreshed.refresh_token,
    publicKey: await crypto.subtle.exportKey('jwk', keyPair.publicKey),
    privateKeyExtractable: keyPair.privateKey.extractable,
    privateKeyExport: exported,
  });
}

(location.pathname === '/callback' ? finish() : start()).catch((error) => {
  // A refused request's OAuth error, or the challenges of a resource's WWW-Authenticate (oauth4webapi's error causes).
  const challenges = Array.isArray(error?.cause) ? error.cause : undefined;
  show('failed', { name: error?.name, message: error?.message, error: error?.error, description: error?.error_description, status: error?.status, challenges });
});
