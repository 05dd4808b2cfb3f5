// Issue 28 end to end: a public client runs PAR + PKCE + DPoP (RFC 9126, RFC 7636, RFC 9449) against Gatehouse, and
// the tokens it gets are useless to whoever steals them without its key.
//
// Two real clients. First a single-page application in headless Chromium, written with oauth4webapi's one ES module
// (test/e2e/browser-client/par-dpop-spa.js, served from another loopback origin with the module beside it): its DPoP
// key is a WebCrypto key it cannot export, kept in IndexedDB across the redirect; it pushes its request, the person
// signs in on our login page, and it exchanges the code, reads userinfo and refreshes, every call with a proof and our
// nonce. Then openid-client v6 in Node does the same with its own key while the person signs in in Chromium. Last, a
// thief holding the tokens (what script injected into the page could read) tries them without the key: as bearer
// tokens, and with proofs of a key of its own. Every refusal spends nothing: the application still refreshes.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, decodeJwt, exportJWK, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { addUser, manage, PASSWORD } from '../helpers/oidc.js';
import { stored } from '../helpers/refresh.js';
import { reserve } from '../helpers/relying-app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { createClient } from '../../src/manage/clients.js';
import { makeProof, proofKey, type ProofKey } from '../http/dpop-resource-helpers.js';

const ADA = 'ada@example.com';
const SPA_SCRIPT = fileURLToPath(new URL('./browser-client/par-dpop-spa.js', import.meta.url));
// The module openid-client itself runs on: the same file, whatever version openid-client brings.
const OAUTH4WEBAPI = createRequire(createRequire(import.meta.url).resolve('openid-client')).resolve('oauth4webapi');
const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/;
/** Long enough for a sign-in on a slow machine; every wait is on a condition. */
const WAIT_MS = 20_000;

/** What the SPA writes into <pre id="result"> once it is done. */
interface SpaResult {
  pushed: { requestUri: string; expiresIn: number };
  tokenType: string;
  accessToken: string;
  refreshToken: string;
  userinfo: Record<string, unknown>;
  refreshedTokenType: string;
  refreshedAccessToken: string;
  refreshedRefreshToken: string;
  publicKey: JWK;
  privateKeyExtractable: boolean;
  privateKeyExport: string;
}

/** The static host of the SPA: its page (at / and at its redirect URI), its script, oauth4webapi, and a bare page for openid-client's redirect URI. */
function spaHandler(settings: () => Record<string, string>) {
  const page = () =>
    [
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PAR + DPoP application</title>',
      `<script type="application/json" id="settings">${JSON.stringify(settings())}</script>`,
      '<script type="module" src="/app.js"></script></head>',
      '<body><main><h1>PAR + DPoP application</h1><pre id="result" data-state="running"></pre>',
      '<button type="button" id="refresh-again" disabled>Refresh again</button><pre id="again"></pre></main></body></html>',
    ].join('');
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://spa').pathname;
    const send = (type: string, body: string) => res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    if (path === '/' || path === '/callback') send('text/html; charset=utf-8', page());
    else if (path === '/app.js') send('text/javascript; charset=utf-8', readFileSync(SPA_SCRIPT, 'utf8'));
    else if (path === '/oauth4webapi.js') send('text/javascript; charset=utf-8', readFileSync(OAUTH4WEBAPI, 'utf8'));
    else if (path === '/node-callback') send('text/html; charset=utf-8', '<!doctype html><html lang="en"><title>Back</title><main>Back at the application</main></html>');
    else res.writeHead(404).end();
  };
}

const thumbprint = (jwk: JWK) => calculateJwkThumbprint(jwk, 'sha256');
const cnfOf = (accessToken: string) => decodeJwt(accessToken).cnf as { jkt?: string } | undefined;

describe('a public client runs PAR + PKCE + DPoP end to end', () => {
  let idp: RunningApp;
  let ada: UserRecord;
  let browser: Browser;
  let spaServer: http.Server;
  let spaUrl: string;
  let spaClientId: string;
  let nodeClientId: string;
  let audit: AccessibilityAudit;
  /** The SPA's page, still open after its flow: the application the thief's attempts must not harm. */
  let spaPage: Page;
  let spa: SpaResult;
  /** Every /authorize URL Chromium asked for: what travelled through the browser. */
  const authorizeRequests: URL[] = [];

  async function publicClient(name: string, redirectUri: string): Promise<string> {
    const { client } = await createClient(manage(idp), { name, redirectUris: [redirectUri], isPublic: true });
    return client.clientId;
  }

  /** Our login page in `page`: checked by axe, filled in and sent as a person would. */
  async function signIn(page: Page, what: string): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(`${idp.config.issuer}/login`), { timeout: WAIT_MS });
    await audit.check(page, what);
    await page.getByLabel('Email').fill(ADA);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** The JSON the SPA wrote into `selector` once it finished, or failed. */
  async function written<T>(page: Page, selector: string): Promise<T> {
    const element = page.locator(`${selector}[data-state="done"], ${selector}[data-state="failed"]`);
    await element.waitFor({ timeout: WAIT_MS });
    const text = (await element.textContent()) ?? '';
    expect(await element.getAttribute('data-state'), text).toBe('done');
    return JSON.parse(text) as T;
  }

  beforeAll(async () => {
    idp = await startApp();
    ada = await addUser(idp, ADA);
    const reserved = await reserve('127.0.0.2');
    spaServer = reserved.server;
    spaUrl = reserved.baseUrl;
    spaClientId = await publicClient('PAR + DPoP application', `${spaUrl}/callback`);
    nodeClientId = await publicClient('openid-client application', `${spaUrl}/node-callback`);
    spaServer.on(
      'request',
      spaHandler(() => ({ issuer: idp.config.issuer, clientId: spaClientId, redirectUri: `${spaUrl}/callback` })),
    );
    // launch() gives every run a fresh, temporary user-data-dir of its own.
    browser = await launchChromium();
    audit = new AccessibilityAudit(idp.config.issuer);
  });

  afterAll(async () => {
    await browser?.close();
    spaServer?.closeAllConnections();
    await new Promise<void>((resolve) => (spaServer ? spaServer.close(() => resolve()) : resolve()));
    await idp?.stop();
  });

  it('a browser application with oauth4webapi: PAR, sign-in, code exchange, userinfo and refresh, bound to a key it cannot export', async () => {
    const context = await browser.newContext();
    spaPage = await context.newPage();
    spaPage.on('request', (request) => {
      const url = new URL(request.url());
      if (url.href.startsWith(`${idp.config.issuer}/authorize`)) authorizeRequests.push(url);
    });
    // The application's calls to us (not the CORS preflights), with whether each answer carried a DPoP-Nonce.
    const calls: { path: string; status: number; nonce: boolean }[] = [];
    spaPage.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin !== new URL(idp.config.issuer).origin || response.request().method() === 'OPTIONS' || !['/par', '/token', '/userinfo'].includes(url.pathname)) return;
      calls.push({ path: url.pathname, status: response.status(), nonce: typeof response.headers()['dpop-nonce'] === 'string' });
    });
    await spaPage.goto(`${spaUrl}/`);
    await signIn(spaPage, 'login page after a pushed request');
    spa = await written<SpaResult>(spaPage, '#result');

    // RFC 9449 §8: the first proof of each page (the handle keeps nonces in memory), without a nonce, is refused with
    // ours; the calls after it reuse that nonce, which the application can do only because CORS lets it read
    // DPoP-Nonce. Every answer carries a fresh one.
    expect(calls).toEqual([
      { path: '/par', status: 400, nonce: true },
      { path: '/par', status: 201, nonce: true },
      { path: '/token', status: 400, nonce: true },
      { path: '/token', status: 200, nonce: true },
      { path: '/userinfo', status: 200, nonce: true },
      { path: '/token', status: 200, nonce: true },
    ]);

    // RFC 9126 §2.2, §4: a single-use URN of 256 random bits, 60 s, and nothing but it and client_id in the browser.
    expect(spa.pushed.requestUri).toMatch(REQUEST_URI);
    expect(spa.pushed.expiresIn).toBe(60);
    expect(authorizeRequests.map((url) => [...url.searchParams.keys()].sort())).toEqual([['client_id', 'request_uri']]);
    expect(authorizeRequests[0]?.searchParams.get('request_uri')).toBe(spa.pushed.requestUri);

    // RFC 9449 §5, §6.1: DPoP tokens bound to the browser's key, which stayed in the browser.
    const jkt = await thumbprint(spa.publicKey);
    expect(spa.privateKeyExtractable).toBe(false);
    expect(spa.privateKeyExport).toBe('refused');
    expect(spa.tokenType).toBe('dpop');
    expect(cnfOf(spa.accessToken)).toEqual({ jkt });
    expect(spa.userinfo).toMatchObject({ sub: ada.id, email: ADA });
    expect(spa.refreshedTokenType).toBe('dpop');
    expect(cnfOf(spa.refreshedAccessToken)).toEqual({ jkt });
    expect(spa.refreshedRefreshToken).not.toBe(spa.refreshToken);
    // A public client's refresh token is bound to the key too (RFC 9449 §5), in the store.
    expect((await stored(idp, spa.refreshedRefreshToken)).jkt).toBe(jkt);
    audit.expectNone();
  });

  it('openid-client in Node while a person signs in in Chromium: PAR, a DPoP-bound code exchange, userinfo and refresh', async () => {
    const config = await oidc.discovery(new URL(idp.config.issuer), nodeClientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const jkt = await thumbprint(await exportJWK(keyPair.publicKey));
    const dpop = oidc.getDPoPHandle(config, keyPair);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const redirectUri = `${spaUrl}/node-callback`;
    const url = await oidc.buildAuthorizationUrlWithPAR(
      config,
      { redirect_uri: redirectUri, scope: 'openid email', state, nonce, code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256' },
      { DPoP: dpop },
    );
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);

    // Another browser: the person signs in again, and Chromium lands on the application's redirect URI.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    await signIn(page, 'login page for openid-client');
    await page.waitForURL((landed) => landed.href.startsWith(`${redirectUri}?`), { timeout: WAIT_MS });
    const callback = new URL(page.url());
    await context.close();

    // The code is bound to the key of the proof sent to /par (RFC 9449 §10.1); openid-client answers use_dpop_nonce itself.
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce }, undefined, { DPoP: dpop });
    expect(tokens.token_type).toBe('dpop');
    expect(cnfOf(tokens.access_token)).toEqual({ jkt });
    const sub = tokens.claims()?.sub ?? '';
    expect(sub).toBe(ada.id);
    expect(await oidc.fetchUserInfo(config, tokens.access_token, sub, { DPoP: dpop })).toMatchObject({ sub, email: ADA });
    // Introspection tells an API the binding (RFC 9449 §6.2).
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '', undefined, { DPoP: dpop });
    expect(refreshed.token_type).toBe('dpop');
    expect(cnfOf(refreshed.access_token)).toEqual({ jkt });
    expect((await stored(idp, refreshed.refresh_token ?? '')).jkt).toBe(jkt);
    audit.expectNone();
  });

  describe('stolen tokens are useless without the key', () => {
    const userinfoUrl = () => `${idp.config.issuer}/userinfo`;
    const tokenUrl = () => `${idp.config.issuer}/token`;
    /** The thief's own key: its proofs are right in every way but the key. */
    let thief: ProofKey;

    beforeAll(async () => {
      thief = await proofKey();
    });

    /** A DPoP proof by the thief's key for this request (RFC 9449 §4.2), with our nonce and, at a resource, `ath`. */
    function thiefProof(htm: string, htu: string, nonce: string | null, accessToken?: string): Promise<string> {
      return makeProof(thief, { htm, htu, accessToken, ...(nonce === null ? {} : { nonce }) });
    }

    /** `send` with a proof without a nonce, which is refused with our nonce; then again with it, as a client library would. */
    async function withOurNonce(send: (nonce: string | null) => Promise<Response>): Promise<Response> {
      const first = await send(null);
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce, `${first.status} ${await first.clone().text()}`).toEqual(expect.any(String));
      return send(nonce);
    }

    async function refusal(response: Response): Promise<{ status: number; challenge: string | null; body: unknown }> {
      return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
    }

    it('refuses the stolen access token at userinfo as Bearer and with a proof of another key', async () => {
      const asBearer = await fetch(userinfoUrl(), { headers: { Authorization: `Bearer ${spa.refreshedAccessToken}` } });
      const bearerDescription = 'the access token is DPoP-bound: send it with the DPoP scheme (Authorization: DPoP <token>) and a DPoP proof';
      expect(await refusal(asBearer)).toEqual({
        status: 401,
        challenge: `DPoP realm="gatehouse", error="invalid_token", error_description="${bearerDescription}", algs="ES256 PS256 EdDSA RS256"`,
        body: { error: 'invalid_token', error_description: bearerDescription },
      });

      const withAnotherKey = await withOurNonce(async (nonce) =>
        fetch(userinfoUrl(), { headers: { Authorization: `DPoP ${spa.refreshedAccessToken}`, DPoP: await thiefProof('GET', userinfoUrl(), nonce, spa.refreshedAccessToken) } }),
      );
      const keyDescription = 'the DPoP proof is not signed by the key the access token is bound to';
      expect(await refusal(withAnotherKey)).toEqual({
        status: 401,
        challenge: `DPoP realm="gatehouse", error="invalid_token", error_description="${keyDescription}", algs="ES256 PS256 EdDSA RS256"`,
        body: { error: 'invalid_token', error_description: keyDescription },
      });
    });

    it('refuses the stolen refresh token without a proof and with a proof of another key, and spends nothing: the application still refreshes', async () => {
      const stolen = spa.refreshedRefreshToken;
      const before = await stored(idp, stolen);
      const token = (headers: Record<string, string> = {}) =>
        fetch(tokenUrl(), {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams({ grant_type: 'refresh_token', client_id: spaClientId, refresh_token: stolen }).toString(),
        });

      expect(await refusal(await token())).toEqual({
        status: 400,
        challenge: null,
        body: { error: 'invalid_grant', error_description: 'this refresh token is bound to a DPoP key: send a DPoP proof made with that key' },
      });
      const withAnotherKey = await withOurNonce(async (nonce) => token({ DPoP: await thiefProof('POST', tokenUrl(), nonce) }));
      expect(await refusal(withAnotherKey)).toEqual({
        status: 400,
        challenge: null,
        body: { error: 'invalid_grant', error_description: 'the DPoP proof was made with another key than the one this refresh token is bound to' },
      });

      // Nothing was spent: the token is as it was, and the application, which holds the key, refreshes with it.
      expect(await stored(idp, stolen)).toEqual(before);
      await spaPage.getByRole('button', { name: 'Refresh again' }).click();
      const again = await written<{ tokenType: string; accessToken: string; refreshToken: string }>(spaPage, '#again');
      expect(again.tokenType).toBe('dpop');
      expect(cnfOf(again.accessToken)).toEqual({ jkt: await thumbprint(spa.publicKey) });
      expect(again.refreshToken).not.toBe(stolen);
    });
  });
});
