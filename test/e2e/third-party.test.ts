// Issue 24's "Done when", in headless Chromium: an outside developer registers an application with openid-client's
// dynamicClientRegistration (RFC 7591) and an initial access token an operator made with the compiled `idp` tool
// (refused without it); a person then signs in to it through the consent screen (the application's name, its home
// page's host, "Stay signed in to … while you're away"), denies once (the application gets access_denied), allows,
// is not asked again at the next sign-in, and is asked only for a scope the application adds later. The
// application reads and replaces its registration (RFC 7592; the registration access token rotates). On /account,
// "Connected apps", the person removes its access: its refresh tokens are refused from then on and its
// back-channel logout endpoint receives a logout token (checked with jose against our JWKS). Finally the
// application deletes its own registration (204, then 401). The relying application is a small express app built
// on openid-client alone, on a loopback address of its own, as an outside developer would write one.
// Screenshots go to test/artifacts/third-party-*.png.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import express from 'express';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { runIdpJson } from '../helpers/cli-store.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { idpEnv } from '../helpers/processes.js';
import { reserve } from '../helpers/relying-app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = path.resolve('test/artifacts');
const PERSON = 'grace@example.com';
const APPLICATION = 'Photo Printer';
const RENAMED = 'Photo Printer Studio';
/** The application's home page: shown (with its host) on the consent screen, never fetched. */
const HOME = 'https://photos.example.net/';
const HOME_HOST = 'photos.example.net';
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What the relying application received at its callback: tokens, or the error the authorization answered. */
type Outcome = { kind: 'signed_in'; tokens: oidc.TokenEndpointResponse; claims: oidc.IDToken } | { kind: 'refused'; error: string; description: string | undefined };

interface ThirdPartyApp {
  baseUrl: string;
  redirectUri: string;
  backchannelLogoutUri: string;
  /** Set once the application is registered (the callback needs it). */
  config: oidc.Configuration | null;
  outcomes: Outcome[];
  /** Every logout_token POSTed to its back-channel logout endpoint, as received. */
  logoutTokens: string[];
  errors: string[];
  stop(): Promise<void>;
}

/**
 * The outside developer's application: `/login?scope=…&prompt=…` starts a code flow with PKCE, state and nonce
 * (kept in memory by state: one test browser, no cookies needed), `/callback` redeems the code with openid-client,
 * `/backchannel-logout` keeps the logout tokens it receives.
 */
function startThirdPartyApp(reserved: { server: http.Server; baseUrl: string }): ThirdPartyApp {
  const pending = new Map<string, { codeVerifier: string; nonce: string }>();
  const app: ThirdPartyApp = {
    baseUrl: reserved.baseUrl,
    redirectUri: `${reserved.baseUrl}/callback`,
    backchannelLogoutUri: `${reserved.baseUrl}/backchannel-logout`,
    config: null,
    outcomes: [],
    logoutTokens: [],
    errors: [],
    stop: () =>
      new Promise<void>((resolve) => {
        reserved.server.closeAllConnections();
        reserved.server.close(() => resolve());
      }),
  };
  const server = express();
  server.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  server.get('/login', async (req, res) => {
    if (!app.config) throw new Error('not registered yet');
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    pending.set(state, { codeVerifier, nonce });
    const parameters: Record<string, string> = {
      redirect_uri: app.redirectUri,
      scope: typeof req.query.scope === 'string' ? req.query.scope : 'openid email',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (typeof req.query.prompt === 'string') parameters.prompt = req.query.prompt;
    res.redirect(oidc.buildAuthorizationUrl(app.config, parameters).href);
  });
  server.get('/callback', async (req, res) => {
    if (!app.config) throw new Error('not registered yet');
    const url = new URL(req.originalUrl, app.baseUrl);
    const state = url.searchParams.get('state') ?? '';
    const started = pending.get(state);
    pending.delete(state);
    if (!started) throw new Error('an answer to no request of ours');
    try {
      const tokens = await oidc.authorizationCodeGrant(app.config, url, { pkceCodeVerifier: started.codeVerifier, expectedState: state, expectedNonce: started.nonce });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      app.outcomes.push({ kind: 'signed_in', tokens, claims });
      res.type('text/plain').send(`Signed in as ${String(claims.email)}`);
    } catch (error) {
      // openid-client checked state and iss before it read the error (RFC 9207): a refusal that reached us.
      if (!(error instanceof oidc.AuthorizationResponseError)) throw error;
      app.outcomes.push({ kind: 'refused', error: error.error, description: error.error_description });
      res.type('text/plain').send(`Refused: ${error.error}`);
    }
  });
  server.post('/backchannel-logout', express.urlencoded({ extended: false }), (req, res) => {
    const token = (req.body as { logout_token?: unknown } | undefined)?.logout_token;
    if (typeof token === 'string') app.logoutTokens.push(token);
    res.set('Cache-Control', 'no-store').status(200).end();
  });
  server.use((error: Error, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    app.errors.push(`${req.method} ${req.path}: ${error.message}`);
    res.status(500).type('text/plain').send(`Error: ${error.message}`);
  });
  reserved.server.on('request', server);
  return app;
}

describe('a third-party application: dynamic registration, consent, connected apps, in a real browser', () => {
  let idp: RunningApp;
  let browser: Browser;
  let rp: ThirdPartyApp;
  let person: UserRecord;
  const violations: string[] = [];
  /** axe (WCAG 2.2 AA) on each of our pages the journey shows. */
  let audit: AccessibilityAudit;

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `third-party-${name}.png`), fullPage: true });
    await audit.check(page, name);
  }

  /** A fresh browser profile whose CSP refusals are collected and whose navigations to our pages are listed. */
  async function freshPage(): Promise<{ context: BrowserContext; page: Page; visited: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    const visited: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    // Every hop of a redirect chain is a request of its own (a committed page would miss the hops).
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame() && request.url().startsWith(idp.config.issuer)) visited.push(new URL(request.url()).pathname);
    });
    return { context, page, visited };
  }

  /** The application starts a sign-in; resolves once the browser is back at its callback. */
  async function startAtApplication(page: Page, query: Record<string, string>): Promise<void> {
    await page.goto(`${rp.baseUrl}/login?${new URLSearchParams(query).toString()}`);
  }

  /** How many answers the application had received when the test last looked (each sign-in brings exactly one). */
  let seen = 0;

  /** The application's answer to the sign-in under way, once the browser is back at its callback. */
  async function backAtApplication(page: Page): Promise<Outcome> {
    await page.waitForURL((url) => url.href.startsWith(rp.redirectUri), { timeout: 15_000 });
    await expect.poll(() => rp.outcomes.length + rp.errors.length, { timeout: 10_000 }).toBeGreaterThan(seen);
    expect(rp.errors).toEqual([]);
    expect(rp.outcomes.length).toBe(seen + 1);
    seen = rp.outcomes.length;
    const outcome = rp.outcomes.at(-1);
    if (!outcome) throw new Error('no outcome');
    return outcome;
  }

  function signedIn(outcome: Outcome): Extract<Outcome, { kind: 'signed_in' }> {
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ kind: 'signed_in' });
    return outcome as Extract<Outcome, { kind: 'signed_in' }>;
  }

  /** The consent screen's form: the text of what it asks for, and the two buttons. */
  async function expectConsentScreen(page: Page, name: string): Promise<string> {
    await page.waitForURL((url) => url.href.startsWith(`${idp.config.issuer}/consent?`), { timeout: 15_000 });
    const main = (await page.textContent('main')) ?? '';
    expect(main).toContain(name);
    // The home page's host in plain text, so that a look-alike name cannot hide where the application comes from.
    expect(main).toContain(HOME_HOST);
    expect(main).toContain(PERSON);
    expect(
      await page
        .getByRole('link', { name: new RegExp(HOME_HOST.replace(/\./g, '\\.')) })
        .first()
        .getAttribute('href'),
    ).toBe(HOME);
    await expect.poll(() => page.getByRole('button', { name: 'Allow', exact: true }).count()).toBe(1);
    await expect.poll(() => page.getByRole('button', { name: 'Deny', exact: true }).count()).toBe(1);
    return main;
  }

  async function registrationApi(
    method: 'GET' | 'PUT' | 'DELETE',
    uri: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> | null; headers: Headers }> {
    const response = await fetch(uri, {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null, headers: response.headers };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('third-party-')) rmSync(path.join(ARTIFACTS, file));
    // Registration with initial access tokens; the application's back-channel endpoint is on loopback, which a
    // stranger's registration may name only when the operator allows it (as for tests).
    idp = await startApp({ env: { DYNAMIC_REGISTRATION: 'token', REGISTRATION_ALLOW_PRIVATE_URLS: 'true' } });
    person = await addUser(idp, PERSON, { name: 'Grace Hopper' });
    rp = startThirdPartyApp(await reserve('127.0.0.61'));
    browser = await launchChromium();
    audit = new AccessibilityAudit(idp.config.issuer);
  });

  afterAll(async () => {
    await browser?.close();
    await rp?.stop();
    await idp?.stop();
  });

  it(
    'registers with an initial access token, asks consent (deny, allow, remembered, only new scopes), reads and replaces its registration, loses access from Connected apps, and deletes itself',
    { timeout: 180_000 },
    async () => {
      const issuer = new URL(idp.config.issuer);
      const discovery = (await (await fetch(`${idp.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(discovery.registration_endpoint).toBe(`${idp.config.issuer}/register`);
      const metadata = {
        client_name: APPLICATION,
        redirect_uris: [rp.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'openid email profile offline_access',
        client_uri: HOME,
        policy_uri: `${HOME}privacy`,
        tos_uri: `${HOME}terms`,
        backchannel_logout_uri: rp.backchannelLogoutUri,
        backchannel_logout_session_required: true,
        contacts: ['developers@photos.example.net'],
      };
      const clientsBefore = await idp.store.clients.count();

      // Without an initial access token, and with a made-up one: refused, nothing registered.
      await expect(oidc.dynamicClientRegistration(issuer, metadata, undefined, { execute: [oidc.allowInsecureRequests] })).rejects.toMatchObject({ status: 401 });
      await expect(oidc.dynamicClientRegistration(issuer, metadata, undefined, { execute: [oidc.allowInsecureRequests], initialAccessToken: 'not-a-token-anyone-made' })).rejects.toMatchObject({
        status: 401,
      });
      expect(await idp.store.clients.count()).toBe(clientsBefore);

      // The operator makes a single-use token with the `idp` tool (README: Third-party applications) and hands it over.
      const made = await runIdpJson<{ token: string; id: string; uses_left: number | null; expires_at: unknown }>(['registration', 'token', 'create', '--uses', '1', '--json'], {
        ...idpEnv(idp),
        DYNAMIC_REGISTRATION: 'token',
      });
      expect(made).toMatchObject({ token: expect.any(String), id: expect.any(String), uses_left: 1 });

      // The developer registers with it: a confidential client, its secret and registration access token given once.
      rp.config = await oidc.dynamicClientRegistration(issuer, metadata, undefined, { execute: [oidc.allowInsecureRequests], initialAccessToken: made.token });
      const registered = rp.config.clientMetadata();
      const clientId = registered.client_id;
      expect(registered).toMatchObject({
        client_name: APPLICATION,
        redirect_uris: [rp.redirectUri],
        token_endpoint_auth_method: 'client_secret_post',
        client_uri: HOME,
        client_secret: expect.any(String),
        client_secret_expires_at: 0,
        registration_access_token: expect.any(String),
        registration_client_uri: `${idp.config.issuer}/register/${clientId}`,
      });
      // Contacts are accepted and not kept (README): nobody here would read them.
      expect(registered).not.toHaveProperty('contacts');
      expect(await idp.store.clients.findById(clientId)).toMatchObject({ thirdParty: true, origin: 'dynamic', clientUri: HOME });
      // The token had one use: spent.
      await expect(oidc.dynamicClientRegistration(issuer, metadata, undefined, { execute: [oidc.allowInsecureRequests], initialAccessToken: made.token })).rejects.toMatchObject({ status: 401 });
      expect(await idp.store.clients.count()).toBe(clientsBefore + 1);

      // The person signs in at the application's request; the consent screen says who asks for what. Deny.
      const { context, page, visited } = await freshPage();
      await startAtApplication(page, { scope: 'openid email offline_access' });
      expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
      await audit.check(page, 'login page');
      await page.getByLabel('Email').fill(PERSON);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const first = await expectConsentScreen(page, APPLICATION);
      expect(first).toContain('See your email address');
      expect(first).toContain(`Stay signed in to ${APPLICATION} while you're away`);
      expect(first).not.toContain('You already allowed');
      expect(
        await page
          .getByRole('link', { name: /privacy/i })
          .first()
          .getAttribute('href'),
      ).toBe(`${HOME}privacy`);
      expect(await page.getByRole('link', { name: /terms/i }).first().getAttribute('href')).toBe(`${HOME}terms`);
      await screenshot(page, '1-consent');
      await page.getByRole('button', { name: 'Deny', exact: true }).click();
      expect(await backAtApplication(page)).toMatchObject({ kind: 'refused', error: 'access_denied' });
      expect(await page.textContent('body')).toBe('Refused: access_denied');
      await expect(idp.store.consents.find(person.id, clientId)).resolves.toBeNull();

      // Without a consent, prompt=none cannot answer with a code (OIDC Core §3.1.2.6).
      await startAtApplication(page, { scope: 'openid email offline_access', prompt: 'none' });
      expect(await backAtApplication(page)).toMatchObject({ kind: 'refused', error: 'consent_required' });

      // Again, and Allow: the session is still there (no password asked), the screen asks the same.
      visited.length = 0;
      await startAtApplication(page, { scope: 'openid email offline_access' });
      await expectConsentScreen(page, APPLICATION);
      expect(visited).not.toContain('/login');
      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      const allowed = signedIn(await backAtApplication(page));
      expect(allowed.claims).toMatchObject({ sub: person.id, email: PERSON, aud: clientId });
      expect(allowed.tokens.scope?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid']);
      expect(allowed.tokens.refresh_token).toEqual(expect.any(String));
      expect(await page.textContent('body')).toBe(`Signed in as ${PERSON}`);
      expect((await idp.store.consents.find(person.id, clientId))?.scopes.slice().sort()).toEqual(['email', 'offline_access', 'openid']);

      // The next sign-in asks nothing: single sign-on, the consent remembered.
      visited.length = 0;
      await startAtApplication(page, { scope: 'openid email offline_access' });
      const remembered = signedIn(await backAtApplication(page));
      expect(visited).toEqual(['/authorize']);
      expect(remembered.claims.sub).toBe(person.id);

      // The application reads its registration (RFC 7592 §2.1), then replaces it with a new name (§2.2): the
      // registration access token rotates, the old one stops working, the client secret stays.
      const configurationUri = String(registered.registration_client_uri);
      const firstToken = String(registered.registration_access_token);
      const read = await registrationApi('GET', configurationUri, firstToken);
      expect(read.status).toBe(200);
      expect(read.headers.get('cache-control')).toContain('no-store');
      expect(read.json).toMatchObject({ client_id: clientId, client_name: APPLICATION, redirect_uris: [rp.redirectUri], backchannel_logout_uri: rp.backchannelLogoutUri });
      expect(read.json).not.toHaveProperty('client_secret');
      const replacement: Record<string, unknown> = { ...read.json, client_name: RENAMED };
      for (const field of ['registration_access_token', 'registration_client_uri', 'client_id_issued_at', 'client_secret_expires_at']) delete replacement[field];
      const updated = await registrationApi('PUT', configurationUri, firstToken, replacement);
      expect(updated.status, JSON.stringify(updated.json)).toBe(200);
      expect(updated.json).toMatchObject({ client_id: clientId, client_name: RENAMED, registration_access_token: expect.any(String) });
      const secondToken = String(updated.json?.registration_access_token);
      expect(secondToken).not.toBe(firstToken);
      expect((await registrationApi('GET', configurationUri, firstToken)).status).toBe(401);
      expect((await registrationApi('GET', configurationUri, secondToken)).json).toMatchObject({ client_name: RENAMED });

      // It now asks for one more scope: the screen asks for that one only, and lists what was already allowed.
      await startAtApplication(page, { scope: 'openid email profile offline_access' });
      const more = await expectConsentScreen(page, RENAMED);
      const [asked = '', already = ''] = more.split('You already allowed');
      expect(asked).toContain('See your name');
      expect(asked).not.toContain('See your email address');
      expect(asked).not.toContain('Stay signed in');
      expect(already).toContain('See your email address');
      await screenshot(page, '2-consent-new-scope');
      await page.getByRole('button', { name: 'Allow', exact: true }).click();
      const widened = signedIn(await backAtApplication(page));
      expect(widened.claims).toMatchObject({ name: 'Grace Hopper', email: PERSON });
      expect((await idp.store.consents.find(person.id, clientId))?.scopes.slice().sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);

      // Its refresh token works (and rotates), with the secret it was given at registration.
      const refreshed = await oidc.refreshTokenGrant(rp.config, widened.tokens.refresh_token ?? '');
      const heldRefreshTokens = [allowed.tokens.refresh_token, remembered.tokens.refresh_token, refreshed.refresh_token].filter((token): token is string => typeof token === 'string');
      expect(heldRefreshTokens).toHaveLength(3);

      // On the account page, Connected apps: the application, its home page's host, what it may do; Remove access.
      await page.goto(`${idp.config.issuer}/account`);
      const connected = page.getByRole('region', { name: 'Connected apps' }).first();
      const listed = (await connected.textContent()) ?? '';
      expect(listed).toContain(RENAMED);
      expect(listed).toContain(HOME_HOST);
      expect(listed).toContain('See your email address');
      expect(listed).toContain(`Stay signed in to ${RENAMED} while you're away`);
      expect(listed).toMatch(/Last used/);
      await audit.check(page, 'account page with connected apps');
      await connected.screenshot({ path: path.join(ARTIFACTS, 'third-party-3-connected-apps.png') });
      await connected.getByRole('button', { name: /Remove access/ }).click();
      await expect.poll(async () => (await page.getByRole('region', { name: 'Connected apps' }).first().textContent()) ?? '', { timeout: 10_000 }).not.toContain(RENAMED);
      await page
        .getByRole('region', { name: 'Connected apps' })
        .first()
        .screenshot({ path: path.join(ARTIFACTS, 'third-party-4-access-removed.png') });
      // The person removed an application, not their sign-in: the account page is still theirs.
      expect(page.url().startsWith(`${idp.config.issuer}/account`)).toBe(true);

      // Every refresh token the application held is refused from now on.
      for (const token of heldRefreshTokens) await expect(oidc.refreshTokenGrant(rp.config, token)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(idp.store.consents.find(person.id, clientId)).resolves.toBeNull();

      // And its back-channel logout endpoint was told, with a logout token signed by a key of our JWKS.
      await expect.poll(() => rp.logoutTokens.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      const jwks = createRemoteJWKSet(new URL(String(discovery.jwks_uri)));
      const { payload, protectedHeader } = await jwtVerify(rp.logoutTokens.at(-1) ?? '', jwks, {
        issuer: idp.config.issuer,
        audience: clientId,
        typ: 'logout+jwt',
        algorithms: ['RS256'],
        requiredClaims: ['iat', 'exp', 'jti', 'sub', 'events'],
      });
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
      expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
      expect(payload.sub).toBe(person.id);
      expect(payload).not.toHaveProperty('nonce');
      // The session in which the application received its tokens is named (Back-Channel Logout 1.0 §2.4).
      expect(payload.sid).toBe(decodeJwt(widened.tokens.id_token ?? '').sid);

      // The application deletes its registration (RFC 7592 §2.3): 204, then its token is worth nothing.
      const deleted = await registrationApi('DELETE', configurationUri, secondToken);
      expect(deleted.status).toBe(204);
      const after = await registrationApi('GET', configurationUri, secondToken);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      await expect(idp.store.clients.findById(clientId)).resolves.toBeNull();

      // The audit log tells the story.
      const events = (await idp.store.audit.list({ limit: 500 })).map((event) => event.type);
      for (const type of ['registration_token.created', 'client.registered', 'consent.denied', 'consent.granted', 'consent.revoked', 'client.deleted']) expect(events).toContain(type);
      expect(rp.errors).toEqual([]);
      expect(violations).toEqual([]);
      audit.expectNone();
      await context.close();
    },
  );
});
