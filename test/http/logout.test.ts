// RP-Initiated Logout 1.0 at the end-session endpoint, as the OpenID certification suite's logout plan
// exercises it: a valid hint signs the person out and returns them to the registered URI with `state`;
// anything less certain asks first and never redirects to an unregistered or untrusted address.
import { decodeJwt, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { forgeries } from '../helpers/forged-tokens.js';
import { addClient, addUser, authorizationUrl, hasSession, open, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const SIGNED_OUT_URI = 'https://rp.example/signed-out';
const HOUR = 3_600_000;

interface SignedIn {
  idToken: string;
  claims: JWTPayload;
  accessToken: string;
  refreshToken: string;
}

describe('RP-Initiated Logout 1.0 (end_session_endpoint)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let origin: string;
  let client: TestClient;
  let other: TestClient;
  let browser: Browser;

  async function signIn(as: Browser = browser, scope = 'openid email', email = 'ada@example.com', via: TestClient = client): Promise<SignedIn> {
    const start = await authorizationUrl(via, { scope });
    const page = await open(as, app, start.url);
    const answer = page.status === 200 ? await submitLogin(as, page, email) : page;
    expect(answer.status, answer.body).toBe(303);
    const tokens = await redeemRaw(app, via, new URL(answer.location ?? '').searchParams.get('code') ?? '', start);
    expect(tokens.id_token, JSON.stringify(tokens)).toBeDefined();
    return { idToken: tokens.id_token ?? '', claims: decodeJwt(tokens.id_token ?? ''), accessToken: tokens.access_token ?? '', refreshToken: tokens.refresh_token ?? '' };
  }

  function logout(params: Record<string, string>, as: Browser = browser): Promise<Page> {
    return as.get(`${app.config.issuer}/logout?${new URLSearchParams(params).toString()}`);
  }

  const signedIn = (as: Browser = browser) => hasSession(as, app, client);

  function userinfoStatus(accessToken: string): Promise<number> {
    return fetch(`${app.config.issuer}/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } }).then((r) => r.status);
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    origin = new URL(app.config.issuer).origin;
    await addUser(app, 'ada@example.com');
    await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
    client = await addClient(app, { name: 'Team wiki', postLogoutRedirectUris: [SIGNED_OUT_URI] });
    other = await addClient(app, { name: 'CRM', redirectUris: ['https://crm.example/callback'] });
  });

  afterAll(async () => {
    await app?.stop();
  });

  beforeEach(() => {
    browser = new Browser();
  });

  it('is advertised in discovery as end_session_endpoint, under the issuer', async () => {
    const metadata = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.end_session_endpoint).toBe(`${app.config.issuer}/logout`);
  });

  describe('with a valid id_token_hint', () => {
    it('ends the session and redirects to the registered post_logout_redirect_uri with the same state', async () => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'xyz 1/2' });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${SIGNED_OUT_URI}?state=xyz+1%2F2`);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(browser.cookie(origin, 'gatehouse_session')).toBeUndefined();
      expect(await signedIn()).toBe(false);
    });

    it('redirects without a state parameter when none was sent, and adds nothing else', async () => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI });
      expect(answer.location).toBe(SIGNED_OUT_URI);
    });

    it('accepts the hint as sent by POST, as a form', async () => {
      const { idToken } = await signIn();
      const answer = await browser.postForm(`${app.config.issuer}/logout`, { id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI, state: 's' });
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${SIGNED_OUT_URI}?state=s`);
      expect(await signedIn()).toBe(false);
    });

    it('accepts a hint whose ID token has expired (the hint only identifies the session)', async () => {
      const { idToken } = await signIn();
      clock.advance(2 * HOUR);
      const answer = await logout({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI });
      expect(answer.location).toBe(SIGNED_OUT_URI);
    });

    it('signs out without a redirect and shows that the person is signed out when no post_logout_redirect_uri is given', async () => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, state: 'only-state' });
      expect(answer.status).toBe(200);
      expect(answer.location).toBeNull();
      expect(answer.body).toContain('You are signed out');
      expect(await signedIn()).toBe(false);
    });

    it.each([
      ['an unregistered URI', 'https://evil.example/'],
      ['the registered URI with a query added', `${SIGNED_OUT_URI}?foo=bar`],
      ['the registered URI with a different case', SIGNED_OUT_URI.toUpperCase()],
    ])('never redirects to %s, but still signs out', async (_name, uri) => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, post_logout_redirect_uri: uri, state: 's' });
      expect(answer.status).toBe(200);
      expect(answer.location).toBeNull();
      expect(answer.body).not.toContain('evil.example');
      expect(await signedIn()).toBe(false);
    });

    it('redirects back even when no session is left to end (signed out elsewhere already)', async () => {
      const { idToken } = await signIn();
      await logout({ id_token_hint: idToken });
      const again = await logout({ id_token_hint: idToken, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'again' });
      expect(again.location).toBe(`${SIGNED_OUT_URI}?state=again`);
    });

    it('refuses a client_id the hint was not issued to, and keeps the session', async () => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, client_id: other.clientId, post_logout_redirect_uri: SIGNED_OUT_URI });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('Sign-out cannot continue');
      expect(await signedIn()).toBe(true);
    });

    it('asks first when the hint names another person than the one signed in', async () => {
      const grace = new Browser();
      const { idToken: gracesHint } = await signIn(grace, 'openid', 'grace@example.com');
      await signIn();
      const answer = await logout({ id_token_hint: gracesHint, post_logout_redirect_uri: SIGNED_OUT_URI });
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('Sign out?');
      expect(await signedIn()).toBe(true);
    });
  });

  describe('without a valid hint the person confirms first', () => {
    it('asks for confirmation when only a client_id and a registered URI are given, then redirects with state', async () => {
      await signIn();
      const page = await logout({ client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'st' });
      expect(page.status).toBe(200);
      expect(page.body).toContain('Team wiki');
      expect(page.headers.get('content-security-policy')).toMatch(/form-action 'self' https:\/\/rp\.example(;|$)/);
      expect(await signedIn()).toBe(true);
      const answer = await browser.postForm(formAction(page.body, page.url), formFields(page.body));
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${SIGNED_OUT_URI}?state=st`);
      expect(await signedIn()).toBe(false);
    });

    it('asks for confirmation with no parameters at all, then shows the signed-out page', async () => {
      await signIn();
      const page = await logout({});
      expect(page.body).toContain('Sign out?');
      const answer = await browser.postForm(formAction(page.body, page.url), formFields(page.body));
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('You are signed out');
      expect(await signedIn()).toBe(false);
    });

    // Each forgery carries the real ID token's claims (the signed-in person, the client, the session's sid): only
    // the signature check tells it from the genuine hint, which would sign out at once and redirect.
    it('asks first and never redirects after a hint that is not ours (signed by a foreign key, alg none, HS256 keyed by our public key), even once confirmed', async () => {
      const outcomes: Record<string, unknown> = {};
      // A sign-in per forgery: confirming signs the browser out.
      for (let i = 0; ; i++) {
        const as = new Browser();
        const { idToken } = await signIn(as);
        const forgery = (await forgeries(idToken, app.keyRing.signingKey.publicJwk))[i];
        if (!forgery) break;
        const page = await logout({ id_token_hint: forgery.token, post_logout_redirect_uri: SIGNED_OUT_URI, state: 's' }, as);
        const fields = formFields(page.body);
        const asked = { status: page.status, location: page.location, asks: page.body.includes('Sign out?'), signedIn: await signedIn(as), redirectField: fields.post_logout_redirect_uri };
        const confirmed = await as.postForm(formAction(page.body, page.url), fields);
        outcomes[forgery.name] = { ...asked, confirmed: { status: confirmed.status, location: confirmed.location } };
      }
      expect(Object.keys(outcomes).length).toBeGreaterThanOrEqual(7);
      const safe = { status: 200, location: null, asks: true, signedIn: true, redirectField: undefined, confirmed: { status: 200, location: null } };
      expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((name) => [name, safe])));
    });

    it('refuses a confirmation without the right CSRF token, and keeps the session', async () => {
      await signIn();
      const page = await logout({});
      const answer = await browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), csrf: 'forged' });
      expect(answer.status).toBe(403);
      expect(await signedIn()).toBe(true);
    });

    it('shows the signed-out page without asking when nobody is signed in', async () => {
      const answer = await logout({ client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'x' });
      expect(answer.status).toBe(200);
      expect(answer.location).toBeNull();
      expect(answer.body).toContain('You are signed out');
    });

    it('refuses an unknown client_id', async () => {
      const answer = await logout({ client_id: 'no-such-client' });
      expect(answer.status).toBe(400);
    });

    it('refuses a parameter sent twice', async () => {
      const answer = await browser.get(`${app.config.issuer}/logout?state=a&state=b`);
      expect(answer.status).toBe(400);
    });
  });

  describe('what logout ends', () => {
    it('revokes the session’s access tokens and session-bound refresh tokens, and keeps offline_access grants', async () => {
      const online = await signIn(browser, 'openid email');
      const offline = await signIn(browser, 'openid offline_access');
      expect(await userinfoStatus(online.accessToken)).toBe(200);
      await logout({ id_token_hint: online.idToken });
      expect(await userinfoStatus(online.accessToken)).toBe(401);
      expect((await app.store.refreshTokens.find(hashSecret(online.refreshToken)))?.revokedAt).not.toBeNull();
      expect((await app.store.refreshTokens.find(hashSecret(offline.refreshToken)))?.revokedAt).toBeNull();
    });

    it('records the end of the session in the audit log, naming the clients it had', async () => {
      const { claims } = await signIn();
      await logout({ id_token_hint: (await signIn()).idToken });
      const events = await app.store.audit.list({ limit: 20 });
      const ended = events.find((event) => event.type === 'session.ended' && event.details.reason === 'logout');
      expect(ended?.subject).toBe(claims.sub);
      expect(ended?.details.clients).toEqual([client.clientId]);
    });
  });
});
