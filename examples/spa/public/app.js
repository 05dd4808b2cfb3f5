// The single-page application: signs in with oidc-client-ts (authorization code flow with PKCE, RFC 7636,
// as a public client), calls its API with the access token, and checks the Gatehouse session with the
// refresh token. `oidc` is the global defined by /vendor/oidc-client-ts.min.js.
'use strict';

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const show = (id, text) => {
  byTestId(id).textContent = text;
};

function nameOf(profile) {
  return profile.name || profile.email || profile.sub;
}

function showSignedIn(user) {
  const { email } = user.profile;
  show('status', email ? `Signed in as ${nameOf(user.profile)} (${email})` : `Signed in as ${nameOf(user.profile)}`);
  document.getElementById('signed-in').hidden = false;
  document.getElementById('signed-out').hidden = true;
}

function showSignedOut() {
  show('status', 'Signed out');
  document.getElementById('signed-in').hidden = true;
  document.getElementById('signed-out').hidden = false;
}

async function main() {
  const config = await (await fetch('/config.json')).json();
  // The page is served from BASE_URL, so its origin is the registered one.
  const baseUrl = window.location.origin;

  const userManager = new oidc.UserManager({
    authority: config.issuer,
    client_id: config.clientId,
    redirect_uri: `${baseUrl}/`,
    post_logout_redirect_uri: `${baseUrl}/?signed-out`,
    response_type: 'code',
    // No offline_access: Gatehouse then ties the refresh token to the sign-in session, so a refresh fails
    // once the person signs out anywhere (OIDC Core §11). That is how this page notices a logout elsewhere.
    // The API's scope (demo:read) comes with the API's identifier as `resource`.
    scope: `openid email profile ${config.apiScope}`,
    // RFC 8707 resource indicators: the access token is for the API (its `aud` is the API's identifier), not for
    // Gatehouse's userinfo endpoint; the API refuses any other. Named on the authorization request and again when
    // the code is exchanged.
    extraQueryParams: { resource: config.apiIdentifier },
    extraTokenParams: { resource: config.apiIdentifier },
    // A refresh sends no `scope` (an empty one counts as absent, RFC 6749 §3.1), so that it keeps the whole grant
    // (RFC 6749 §6) and each refresh brings a new ID token too: by default oidc-client-ts would send the last token
    // response's scope, which for an API token is the API's scopes alone (demo:read), and Gatehouse would then
    // answer with the API token only.
    refreshTokenAllowedScope: '',
    // Renewal uses the refresh token, not a hidden iframe with prompt=none: Gatehouse's login cookies are
    // SameSite, so a third-party iframe would not carry them.
    automaticSilentRenew: true,
    // The ID token already carries the profile claims we show.
    loadUserInfo: false,
    // Tokens live only as long as the tab, not in localStorage.
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
  });

  async function sessionEnded(error) {
    show('session-result', `Session check failed: ${error.message}`);
    await userManager.removeUser();
    showSignedOut();
  }

  userManager.events.addSilentRenewError(sessionEnded);

  byTestId('sign-in').addEventListener('click', () => userManager.signinRedirect());

  // RP-Initiated Logout 1.0: oidc-client-ts sends the id_token_hint and a state, and forgets the user.
  byTestId('sign-out').addEventListener('click', () => userManager.signoutRedirect());

  byTestId('call-api').addEventListener('click', async () => {
    show('api-result', 'Calling the API…');
    const user = await userManager.getUser();
    if (!user) return showSignedOut();
    try {
      const res = await fetch(`${config.apiUrl}/api/me`, { headers: { Authorization: `Bearer ${user.access_token}` } });
      const body = await res.json().catch(() => ({}));
      if (res.ok) {
        show('api-result', `API says: hello ${nameOf(user.profile)} (sub ${body.sub}) via ${body.client_id} with ${body.scope}`);
      } else {
        show('api-result', `API refused: ${res.status} ${body.error || res.statusText}`);
      }
    } catch (error) {
      show('api-result', `API call failed: ${error.message}`);
    }
  });

  byTestId('check-session').addEventListener('click', async () => {
    show('session-result', 'Checking…');
    try {
      // With a refresh token, oidc-client-ts refreshes at the token endpoint (OIDC Core §12); Gatehouse
      // refuses once the sign-in session has ended.
      // The refresh names the API again. (oidc-client-ts's automatic renewal names none: Gatehouse then gives the
      // grant's one resource, the same API.)
      const user = await userManager.signinSilent({ resource: config.apiIdentifier });
      showSignedIn(user);
      const until = new Date(user.expires_at * 1000).toLocaleTimeString('en-GB');
      show('session-result', `Session active; access token valid until ${until}`);
    } catch (error) {
      await sessionEnded(error);
    }
  });

  const params = new URLSearchParams(window.location.search);
  if (params.has('state') && (params.has('code') || params.has('error'))) {
    // Back from the authorization endpoint; an error response throws, which must not loop into a new sign-in.
    try {
      showSignedIn(await userManager.signinRedirectCallback());
    } catch (error) {
      show('session-result', `Sign-in failed: ${error.message}`);
      showSignedOut();
    }
    // Keep the code out of the history and out of a reload.
    window.history.replaceState(null, '', '/');
  } else if (params.has('signed-out')) {
    // Back from RP-Initiated Logout: check the state and drop it from the address.
    if (params.has('state')) {
      await userManager.signoutRedirectCallback().catch(() => {});
      window.history.replaceState(null, '', '/?signed-out');
    }
    showSignedOut();
  } else {
    const user = await userManager.getUser();
    // With a Gatehouse session, the person comes back signed in without seeing a form.
    if (!user || user.expired) return userManager.signinRedirect();
    showSignedIn(user);
  }
}

main().catch((error) => {
  show('status', `Error: ${error.message}`);
});
