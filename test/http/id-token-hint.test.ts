// Which id_token_hint the end-session endpoint trusts (RP-Initiated Logout 1.0 §2, OIDC Core §3.1.2.1): only an
// ID token (`typ: JWT`) that this issuer signed, naming a subject and at least one client as its audience. The
// tokens below are all signed with the server's own key, so only these claim checks can tell them from a genuine
// hint: a trusted hint for the signed-in person ends the session at once and redirects, anything else asks first
// (and with nobody signed in, never redirects).
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, hasSession, open, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const SIGNED_OUT_URI = 'https://rp.example/signed-out';

describe('id_token_hint at the end-session endpoint: only our own ID tokens are trusted', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let browser: Browser;

  /** Signs `browser` in for `client`; the ID token and access token it gets. */
  async function signIn(): Promise<{ idToken: string; claims: JWTPayload; accessToken: string }> {
    const start = await authorizationUrl(client, { scope: 'openid' });
    const answer = await submitLogin(browser, await open(browser, app, start.url), 'ada@example.com');
    expect(answer.status, answer.body).toBe(303);
    const tokens = await redeemRaw(app, client, new URL(answer.location ?? '').searchParams.get('code') ?? '', start);
    return { idToken: tokens.id_token ?? '', claims: decodeJwt(tokens.id_token ?? ''), accessToken: tokens.access_token ?? '' };
  }

  /** A token with these claims signed by the server's own signing key, as an ID token unless `header` says otherwise. */
  function ours(claims: JWTPayload, header: Record<string, unknown> = { typ: 'JWT' }): Promise<string> {
    const key = app.keyRing.signingKey;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header }).sign(key.privateKey);
  }

  function logout(hint: string): Promise<Page> {
    return browser.get(`${app.config.issuer}/logout?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: SIGNED_OUT_URI, state: 's' }).toString()}`);
  }

  /** Trusted: the session ends without a question and the browser goes back to the application. */
  async function expectTrusted(hint: string): Promise<void> {
    const answer = await logout(hint);
    expect([answer.status, answer.location]).toEqual([303, `${SIGNED_OUT_URI}?state=s`]);
    expect(await hasSession(browser, app, client)).toBe(false);
  }

  /** Not trusted while someone is signed in: the person is asked, and stays signed in meanwhile. */
  async function expectAsked(hint: string): Promise<void> {
    const answer = await logout(hint);
    expect(answer.status).toBe(200);
    expect(answer.location).toBeNull();
    expect(answer.body).toContain('Sign out?');
    expect(await hasSession(browser, app, client)).toBe(true);
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app, 'ada@example.com');
    client = await addClient(app, { name: 'Team wiki', postLogoutRedirectUris: [SIGNED_OUT_URI] });
  });
  afterAll(() => app.stop());
  beforeEach(() => {
    browser = new Browser();
  });

  it("trusts a token of ours with the genuine ID token's claims (the control for the cases below)", async () => {
    const { claims } = await signIn();
    await expectTrusted(await ours(claims));
  });

  it("asks first for the signed-in person's own access token (typ at+jwt), signed by the same key, and for a token of ours with no typ", async () => {
    const { claims, accessToken } = await signIn();
    expect(decodeJwt(accessToken).sub).toBe(claims.sub);
    await expectAsked(accessToken);
    await expectAsked(await ours(claims, {}));
  });

  it('asks first for an ID token signed by our key for another issuer (OIDC Core §3.1.3.7: iss must be ours)', async () => {
    const { claims } = await signIn();
    await expectAsked(await ours({ ...claims, iss: 'https://other-issuer.example' }));
    await expectAsked(await ours({ ...claims, iss: `${app.config.issuer}/` }));
  });

  it('never redirects after a token of ours with no subject, or a subject that is not a string, when nobody is signed in', async () => {
    const { claims } = await signIn();
    await expectTrusted(await ours(claims));
    const { sub: _sub, ...noSubject } = claims;
    for (const hint of [await ours(noSubject), await ours({ ...noSubject, sub: 42 } as unknown as JWTPayload)]) {
      const answer = await logout(hint);
      expect([answer.status, answer.location], answer.body).toEqual([200, null]);
      expect(answer.body).toContain('You are signed out');
    }
  });

  it('asks first for a token of ours with no audience, an empty one, or one holding no string', async () => {
    const { claims } = await signIn();
    const { aud: _aud, ...noAudience } = claims;
    for (const aud of [undefined, [], [42], 42]) {
      await expectAsked(await ours({ ...noAudience, ...(aud === undefined ? {} : { aud }) } as JWTPayload));
    }
  });

  it('identifies the application from the string members of an audience array (OIDC Core §2: aud may be an array)', async () => {
    const { claims } = await signIn();
    await expectTrusted(await ours({ ...claims, aud: [client.clientId, 42] } as unknown as JWTPayload));
  });
});
