// The end-session endpoint's less travelled paths (OpenID Connect RP-Initiated Logout 1.0): parameters sent empty,
// hints issued to several applications or to one since deleted, the confirmation form's binding to the session
// and what it carries, a confirmation that arrives after the session ended, and the signed-out page's own link.
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteClient } from '../../src/manage/clients.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { forgeries } from '../helpers/forged-tokens.js';
import { addClient, addUser, authorizationUrl, hasSession, open, redeemRaw, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const SIGNED_OUT_URI = 'https://rp.example/signed-out';
const CRM_SIGNED_OUT_URI = 'https://crm.example/bye';
const NOT_REGISTERED = 'not registered';

describe('RP-Initiated Logout 1.0: edge cases of the end-session endpoint', () => {
  let app: RunningApp;
  let origin: string;
  let client: TestClient;
  let crm: TestClient;
  let browser: Browser;

  /** Signs `as` in for `via` (through the form, or by single sign-on) and returns the ID token and its claims. */
  async function signIn(as: Browser = browser, via: TestClient = client): Promise<{ idToken: string; claims: JWTPayload }> {
    const start = await authorizationUrl(via, { scope: 'openid' });
    const page = await open(as, app, start.url);
    const answer = page.status === 200 ? await submitLogin(as, page, 'ada@example.com') : page;
    expect(answer.status, answer.body).toBe(303);
    const tokens = await redeemRaw(app, via, new URL(answer.location ?? '').searchParams.get('code') ?? '', start);
    expect(tokens.id_token, JSON.stringify(tokens)).toEqual(expect.any(String));
    return { idToken: tokens.id_token ?? '', claims: decodeJwt(tokens.id_token ?? '') };
  }

  /** An ID token with these claims, signed by the server's own key: as trustworthy as one it issued. */
  function ours(claims: JWTPayload): Promise<string> {
    const key = app.keyRing.signingKey;
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  }

  /** GET /logout with exactly this query (kept as given: empty values and repeats stay in it). */
  function logout(query: string | Record<string, string>, as: Browser = browser): Promise<Page> {
    return as.get(`${app.config.issuer}/logout?${new URLSearchParams(query).toString()}`);
  }

  /** Submits the confirmation form of `page` as `as`, with `fields` (the page's own by default). */
  function confirm(page: Page, as: Browser = browser, fields: Record<string, string> = formFields(page.body)): Promise<Page> {
    return as.postForm(formAction(page.body, page.url), fields);
  }

  const signedIn = (as: Browser = browser) => hasSession(as, app, client);

  function expectSignedOutPage(page: Page): void {
    expect([page.status, page.location], page.body).toEqual([200, null]);
    expect(page.body).toContain('You are signed out');
    expect(page.body).toContain('<title>Signed out · Gatehouse</title>');
  }

  function expectAsked(page: Page): void {
    expect([page.status, page.location], page.body).toEqual([200, null]);
    expect(page.body).toContain('Sign out?');
    expect(page.body).toContain('<title>Sign out · Gatehouse</title>');
  }

  beforeAll(async () => {
    app = await startApp();
    origin = new URL(app.config.issuer).origin;
    await addUser(app, 'ada@example.com');
    client = await addClient(app, { name: 'Team wiki', postLogoutRedirectUris: [SIGNED_OUT_URI] });
    crm = await addClient(app, { name: 'CRM', redirectUris: ['https://crm.example/callback'], postLogoutRedirectUris: [CRM_SIGNED_OUT_URI] });
  });

  afterAll(async () => {
    await app?.stop();
  });

  beforeEach(() => {
    browser = new Browser();
  });

  describe('parameters (§2, §4)', () => {
    it('treats a client_id or state sent empty as absent (§2; RFC 6749 §3.1): with a valid hint it still redirects, adding no state', async () => {
      const { idToken } = await signIn();
      const answer = await logout(`id_token_hint=${idToken}&client_id=&post_logout_redirect_uri=${encodeURIComponent(SIGNED_OUT_URI)}&state=`);
      expect([answer.status, answer.location], answer.body).toEqual([303, SIGNED_OUT_URI]);
      expect(await signedIn()).toBe(false);
    });

    it("treats an id_token_hint sent empty as absent, not as a rejected hint (§2, §4): the client_id's registered URI is followed once confirmed", async () => {
      await signIn();
      const page = await logout(`id_token_hint=&client_id=${client.clientId}&post_logout_redirect_uri=${encodeURIComponent(SIGNED_OUT_URI)}&state=e`);
      expectAsked(page);
      expect(formFields(page.body).post_logout_redirect_uri).toBe(SIGNED_OUT_URI);
      const answer = await confirm(page);
      expect([answer.status, answer.location]).toEqual([303, `${SIGNED_OUT_URI}?state=e`]);
    });

    it('refuses a parameter sent twice with a page naming it, and keeps the session (§4)', async () => {
      await signIn();
      const answer = await logout(`client_id=${client.clientId}&client_id=${crm.clientId}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('more than one client_id');
      expect(await signedIn()).toBe(true);
    });

    it('refuses an unknown client_id with a page saying the application is unknown, and keeps the session (§4)', async () => {
      await signIn();
      const answer = await logout({ client_id: 'no-such-client', post_logout_redirect_uri: SIGNED_OUT_URI });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('unknown application');
      expect(await signedIn()).toBe(true);
    });
  });

  describe('the hint and client_id (§2: the OP MUST verify that client_id is one the ID token was issued to)', () => {
    it('redirects when client_id names the application the hint was issued to (§2, §3)', async () => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'c' });
      expect([answer.status, answer.location]).toEqual([303, `${SIGNED_OUT_URI}?state=c`]);
      expect(await signedIn()).toBe(false);
    });

    it('refuses a client_id the hint was not issued to with a page saying the applications differ (§2)', async () => {
      const { idToken } = await signIn();
      const answer = await logout({ id_token_hint: idToken, client_id: crm.clientId, post_logout_redirect_uri: CRM_SIGNED_OUT_URI });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('different application');
      expect(await signedIn()).toBe(true);
    });

    it('does not guess the application from a hint issued to several (§2, §3): it signs out without a redirect, unless client_id picks one of them', async () => {
      const { claims } = await signIn();
      const several = await ours({ ...claims, aud: [client.clientId, crm.clientId] });
      const unnamed = await logout({ id_token_hint: several, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'm' });
      expectSignedOutPage(unnamed);
      expect(unnamed.body).not.toContain('Return to');
      expect(await signedIn()).toBe(false);

      const again = await ours({ ...(await signIn()).claims, aud: [client.clientId, crm.clientId] });
      const named = await logout({ id_token_hint: again, client_id: crm.clientId, post_logout_redirect_uri: CRM_SIGNED_OUT_URI, state: 'm' });
      expect([named.status, named.location]).toEqual([303, `${CRM_SIGNED_OUT_URI}?state=m`]);
      expect(await signedIn()).toBe(false);
    });

    it('still signs out with a hint whose application has since been deleted, without a redirect (§2: the hint identifies the person; §3: no registration, no redirect)', async () => {
      const retiredUri = 'https://retired.example/bye';
      const retired = await addClient(app, { name: 'Retired app', redirectUris: ['https://retired.example/cb'], postLogoutRedirectUris: [retiredUri] });
      const { idToken } = await signIn(browser, retired);
      await deleteClient({ store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test' }, retired.clientId);
      const answer = await logout({ id_token_hint: idToken, post_logout_redirect_uri: retiredUri, state: 'r' });
      expectSignedOutPage(answer);
      expect(answer.body).not.toContain('retired.example');
      expect(await signedIn()).toBe(false);
    });

    it('never redirects after a hint that fails verification, even with a client_id whose registered URI it names (§4: what failed validation is not used; §3)', async () => {
      const { idToken } = await signIn();
      const [forged] = await forgeries(idToken, app.keyRing.signingKey.publicJwk);
      const request = { id_token_hint: forged?.token ?? '', client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'f' };
      const page = await logout(request);
      expectAsked(page);
      expect(Object.keys(formFields(page.body)).sort()).toEqual(['client_id', 'csrf']);
      expectSignedOutPage(await confirm(page));
      const nobody = await logout(request, new Browser());
      expectSignedOutPage(nobody);
      expect(nobody.body).not.toContain('Return to');
    });

    it('never redirects to a post_logout_redirect_uri sent with neither client_id nor hint, which no application vouches for (§3)', async () => {
      const nobody = await logout({ post_logout_redirect_uri: SIGNED_OUT_URI, state: 'n' });
      expectSignedOutPage(nobody);
      expect(nobody.body).not.toContain('Return to');
      await signIn();
      const page = await logout({ post_logout_redirect_uri: SIGNED_OUT_URI, state: 'n' });
      expectAsked(page);
      expect(page.body).toContain(NOT_REGISTERED);
      expect(Object.keys(formFields(page.body))).toEqual(['csrf']);
      expectSignedOutPage(await confirm(page));
    });
  });

  describe('the confirmation (§6: without a valid hint the End-User confirms first)', () => {
    it("binds the confirmation form to the session: another browser's form is refused with 403, saying why, and both stay signed in", async () => {
      const other = new Browser();
      await signIn();
      await signIn(other);
      const othersPage = await logout({}, other);
      expectAsked(othersPage);
      const answer = await confirm(othersPage, browser);
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('did not come from this site');
      expect(await signedIn()).toBe(true);
      expect(await signedIn(other)).toBe(true);
    });

    it("only asks again for a GET that carries the confirmation form's fields, CSRF token included: confirming is a POST", async () => {
      await signIn();
      const page = await logout({ client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'g' });
      const fields = formFields(page.body);
      expect(fields.csrf).toEqual(expect.any(String));
      expectAsked(await logout(fields));
      expect(await signedIn()).toBe(true);
    });

    it('says it will not redirect to an unregistered URI, and carries neither that URI nor state in the form (§3)', async () => {
      await signIn();
      const page = await logout({ client_id: client.clientId, post_logout_redirect_uri: 'https://evil.example/', state: 's' });
      expectAsked(page);
      expect(page.body).toContain(NOT_REGISTERED);
      expect(Object.keys(formFields(page.body)).sort()).toEqual(['client_id', 'csrf']);
      const answer = await confirm(page);
      expectSignedOutPage(answer);
      expect(answer.body).not.toContain('evil.example');
    });

    it('raises no unregistered-URI warning when no URI was asked for, or a registered one, which it follows once confirmed, adding no state when none was sent (§3)', async () => {
      await signIn();
      const plain = await logout({ client_id: client.clientId });
      expectAsked(plain);
      expect(plain.body).not.toContain(NOT_REGISTERED);
      const registered = await logout({ client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI });
      expectAsked(registered);
      expect(registered.body).not.toContain(NOT_REGISTERED);
      expect(Object.keys(formFields(registered.body)).sort()).toEqual(['client_id', 'csrf', 'post_logout_redirect_uri']);
      const answer = await confirm(registered);
      expect([answer.status, answer.location]).toEqual([303, SIGNED_OUT_URI]);
    });

    it('keeps the site-wide Content-Security-Policy on a confirmation page that leads to no application', async () => {
      await signIn();
      const sitePolicy = (await browser.get(`${app.config.issuer}/`)).headers.get('content-security-policy');
      expect(sitePolicy).toMatch(/form-action 'self'(;|$)/);
      const page = await logout({});
      expectAsked(page);
      expect(page.headers.get('content-security-policy')).toBe(sitePolicy);
    });

    it('answers a confirmation that arrives after the session ended elsewhere with the signed-out page, offering the URI as a link, never a redirect (§3: no proof of the request is left)', async () => {
      const { idToken } = await signIn();
      const page = await logout({ client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'late' });
      expectAsked(page);
      expect((await logout({ id_token_hint: idToken })).status).toBe(200);
      const answer = await confirm(page);
      expectSignedOutPage(answer);
      expect(answer.body).toContain(`<a href="${SIGNED_OUT_URI}?state=late">Return to Team wiki</a>`);
    });
  });

  describe('the signed-out page', () => {
    it('offers the registered URI, with state, as a link naming the application when nobody is signed in, never as a redirect (§3)', async () => {
      const answer = await logout({ client_id: client.clientId, post_logout_redirect_uri: SIGNED_OUT_URI, state: 'a/b' });
      expectSignedOutPage(answer);
      expect(answer.body).toContain(`<a href="${SIGNED_OUT_URI}?state=a%2Fb">Return to Team wiki</a>`);
    });

    it('clears a session cookie that no longer names a live session', async () => {
      const { idToken } = await signIn();
      const stale = new Browser();
      stale.setCookie(origin, 'gatehouse_session', browser.cookie(origin, 'gatehouse_session') ?? '');
      expect(stale.cookie(origin, 'gatehouse_session')).toEqual(expect.any(String));
      await logout({ id_token_hint: idToken });
      const answer = await logout({}, stale);
      expectSignedOutPage(answer);
      expect(stale.cookie(origin, 'gatehouse_session')).toBeUndefined();
    });
  });
});
