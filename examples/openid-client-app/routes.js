// The pages of the app: sign-in (authorization code flow with PKCE), the callback, refresh, RP-Initiated
// Logout 1.0 and the signed-out page.
import express from 'express';
import * as client from 'openid-client';
import { SCOPE } from './oidc.js';
import { homePage, signedOutPage } from './pages.js';

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
    this.expose = true;
  }
}

const regenerate = (req) => new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));

function tokenSet(tokens, previous) {
  const expiresIn = tokens.expiresIn();
  return {
    idToken: tokens.id_token ?? previous?.idToken,
    accessToken: tokens.access_token,
    // Gatehouse rotates refresh tokens: each works once, so the new one replaces the old.
    refreshToken: tokens.refresh_token ?? previous?.refreshToken,
    expiresAt: expiresIn === undefined ? undefined : Date.now() + expiresIn * 1000,
  };
}

export function appRoutes({ config, oidc, sessionIndex, cookie }) {
  const router = express.Router();

  function endLocalSession(req, res) {
    sessionIndex.forget(req.sessionID);
    res.clearCookie(cookie.name, cookie.options);
    return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
  }

  router.get('/', async (req, res) => {
    const { user, tokens } = req.session;
    if (user) {
      const accessTokenSeconds = tokens.expiresAt === undefined ? undefined : Math.max(0, Math.floor((tokens.expiresAt - Date.now()) / 1000));
      return res.type('html').send(homePage({ name: user.name || user.email || user.sub, email: user.email ?? '', accessTokenSeconds }));
    }
    const { config: oidcConfig } = await oidc.get();
    // PKCE (RFC 7636) binds the code to this browser's session; state guards the callback against CSRF and
    // nonce ties the ID token to this request (OIDC Core §3.1.2.1). They live in the session until the callback.
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    req.session.signIn = { codeVerifier, state, nonce };
    const url = client.buildAuthorizationUrl(oidcConfig, {
      redirect_uri: config.redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    res.redirect(url.href);
  });

  router.get('/callback', async (req, res) => {
    const signIn = req.session.signIn;
    delete req.session.signIn; // one attempt per authorization request
    if (typeof req.query.error === 'string') {
      const description = typeof req.query.error_description === 'string' ? `: ${req.query.error_description}` : '';
      throw new HttpError(400, `Gatehouse did not sign you in (${req.query.error}${description}).`);
    }
    if (!signIn) throw new HttpError(400, 'No sign-in was in progress in this browser. Start again from the home page.');

    const { config: oidcConfig } = await oidc.get();
    // openid-client sends the URL without its query as redirect_uri, so it must be exactly the registered one.
    const currentUrl = new URL(config.redirectUri);
    currentUrl.search = new URL(req.originalUrl, config.baseUrl).search;
    const tokens = await client.authorizationCodeGrant(oidcConfig, currentUrl, {
      pkceCodeVerifier: signIn.codeVerifier,
      expectedState: signIn.state,
      expectedNonce: signIn.nonce,
      idTokenExpected: true,
    });
    const claims = await oidc.verifyIdToken(tokens.id_token);

    // A new session id at sign-in, so an id planted in the browser before it cannot ride along (session fixation).
    sessionIndex.forget(req.sessionID);
    await regenerate(req);
    req.session.user = { sub: claims.sub, sid: claims.sid, name: claims.name, email: claims.email };
    req.session.tokens = tokenSet(tokens);
    sessionIndex.add(req.sessionID, { sid: claims.sid, sub: claims.sub });
    console.log(`signed in: ${claims.sub}`);
    res.redirect('/');
  });

  router.post('/refresh', async (req, res) => {
    const { user, tokens } = req.session;
    // 303 to a page of this origin only: form-action 'self' also governs where a form's redirects may go.
    if (!user) return res.redirect(303, '/signed-out');
    const { config: oidcConfig } = await oidc.get();
    let fresh;
    try {
      if (!tokens.refreshToken) throw new Error('no refresh token was issued');
      fresh = await client.refreshTokenGrant(oidcConfig, tokens.refreshToken);
      // OIDC Core §12.2: a refreshed ID token must be about the same person.
      if (fresh.id_token && fresh.claims()?.sub !== user.sub) throw new Error('the refreshed ID token names someone else');
    } catch (err) {
      // invalid_grant (RFC 6749 §5.2): the refresh token is spent or the session ended at Gatehouse; a
      // refreshed ID token failing its checks is as final. Either way this sign-in is over. Gatehouse being
      // unreachable, or another OAuth error (a misconfiguration), goes to the error handler instead and the
      // session stays, so the person can try again.
      const unreachable = err instanceof TypeError || err.name === 'TimeoutError' || err.name === 'AbortError';
      if (unreachable || (err instanceof client.ResponseBodyError && err.error !== 'invalid_grant')) throw err;
      await endLocalSession(req, res);
      console.log('refresh refused: local session ended');
      return res.redirect(303, '/signed-out');
    }
    req.session.tokens = tokenSet(fresh, tokens);
    res.redirect(303, '/');
  });

  router.get('/logout', async (req, res) => {
    const idToken = req.session.tokens?.idToken;
    await endLocalSession(req, res);
    const { config: oidcConfig } = await oidc.get();
    // RP-Initiated Logout 1.0: id_token_hint lets Gatehouse end the session without asking; the
    // post-logout redirect URI must be registered. Nothing is restored after sign-out, so state is not kept.
    const parameters = { post_logout_redirect_uri: config.postLogoutRedirectUri, state: client.randomState() };
    if (idToken) parameters.id_token_hint = idToken;
    res.redirect(client.buildEndSessionUrl(oidcConfig, parameters).href);
  });

  // No icon: answer the browser's automatic request without a 404.
  router.get('/favicon.ico', (req, res) => res.status(204).end());

  router.get('/signed-out', (req, res) => {
    res.type('html').send(signedOutPage());
  });

  return router;
}
