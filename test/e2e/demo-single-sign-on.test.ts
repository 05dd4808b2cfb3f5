// The whole journey across applications on other origins, in headless Chromium, against `npm run demo`:
// Gatehouse and the three examples (examples/) as their own processes, each on a loopback address of its own.
// A person signs in once at app 1, reaches app 2 and the single-page app without a form (OIDC Core §3.1.2.3,
// single sign-on), the SPA calls its API with an access token minted for that API (RFC 8707 `resource`: its `aud`
// is the API's identifier) that the API verifies against our JWKS (RFC 9068), and signing out at app 1 (RP-Initiated Logout 1.0) signs them out of app 2 by Back-Channel Logout 1.0 and
// makes the SPA's next silent renewal fail (its refresh token died with the session, OIDC Core §12).
// Each step leaves a screenshot in test/artifacts/demo/ (git-ignored).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeJwt, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { startDemo, type RunningDemo } from '../helpers/demo.js';

const ARTIFACTS = path.join(packageRoot, 'test/artifacts/demo');
const NAVIGATION = { timeout: 15_000 };

describe('the demo: single sign-on and logout everywhere across three applications on other origins', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let context: BrowserContext;
  /** One tab per application, as a person would keep them open. */
  const tabs: Record<'app1' | 'app2' | 'spa', Page | undefined> = { app1: undefined, app2: undefined, spa: undefined };
  const violations: string[] = [];

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const onLoginPage = (url: URL) => url.href.startsWith(`${demo.summary.issuer}/login?`);
  const textOf = (page: Page, testId: string) => page.getByTestId(testId).textContent();

  async function openTab(name: keyof typeof tabs): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(`${name}: ${message.text()}`);
    });
    tabs[name] = page;
    return page;
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    demo = await startDemo();
    context = await browser.newContext();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (!demo) return;
    // Ctrl-C: every process stops and the demo's data directory goes with it.
    expect(await demo.stop()).toBe(0);
    expect(existsSync(demo.summary.dataDir)).toBe(false);
  }, 30_000);

  it('sends a person who opens app 1 to the Gatehouse login page, and back to app 1 showing their name from the ID token', async () => {
    const page = await openTab('app1');
    await page.goto(demo.summary.apps.express);
    await page.waitForURL(onLoginPage, NAVIGATION);
    await expect.poll(() => page.textContent('main')).toContain('to continue to Example app 1');
    await shot(page, '01-login-page');
    const audit = new AccessibilityAudit(demo.summary.issuer);
    await audit.check(page, 'login page');
    audit.expectNone();

    await page.getByLabel('Email').fill(demo.summary.user.email);
    await page.getByLabel('Password').fill(demo.summary.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(demo.summary.apps.express, NAVIGATION);
    expect(await textOf(page, 'name')).toBe('Ada Lovelace');
    expect(await textOf(page, 'email')).toBe(demo.summary.user.email);
    await shot(page, '02-app1-signed-in');
  });

  it('signs the same person in to app 2 and to the single-page app without a form (single sign-on)', async () => {
    const app2 = await openTab('app2');
    const visited: string[] = [];
    app2.on('framenavigated', (frame) => visited.push(frame.url()));
    await app2.goto(demo.summary.apps.openidClient);
    await app2.waitForURL(demo.summary.apps.openidClient, NAVIGATION);
    expect(await textOf(app2, 'name')).toBe('Ada Lovelace');
    expect(visited.some((url) => onLoginPage(new URL(url)))).toBe(false);
    await shot(app2, '03-app2-single-sign-on');

    const spa = await openTab('spa');
    await spa.goto(demo.summary.apps.spa);
    await expect.poll(() => textOf(spa, 'status'), NAVIGATION).toBe(`Signed in as Ada Lovelace (${demo.summary.user.email})`);
    expect(new URL(spa.url()).origin).toBe(new URL(demo.summary.apps.spa).origin);
    await shot(spa, '04-spa-single-sign-on');
  });

  it("lets the single-page app call its API with a token for that API, which verifies it against Gatehouse's JWKS, also after a refresh", async () => {
    const spa = tabs.spa!;
    const apiAnswer = new RegExp(`^API says: hello Ada Lovelace \\(sub [\\w-]+\\) via ${demo.summary.clientIds.spa} with ${demo.summary.api.scope}$`);
    await spa.getByTestId('call-api').click();
    await expect.poll(() => textOf(spa, 'api-result')).toMatch(apiAnswer);
    await spa.getByTestId('check-session').click();
    await expect.poll(() => textOf(spa, 'session-result')).toMatch(/^Session active/);
    // The refreshed access token is for the API too. (The page shows "Calling the API…" as soon as it is clicked.)
    await spa.getByTestId('call-api').click();
    await expect.poll(() => textOf(spa, 'api-result')).toMatch(apiAnswer);
    await shot(spa, '05-spa-api-and-session');
  });

  it("refuses a genuine Gatehouse access token that is for userinfo rather than the API (the SPA's own, asked for without resource)", async () => {
    // The person's browser has a Gatehouse session, so the authorization endpoint answers the SPA's client at once
    // with a code (single sign-on); this request names no resource, so the token's audience is userinfo, as
    // before issue 22.
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${demo.summary.issuer}/authorize`);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: demo.summary.clientIds.spa,
      redirect_uri: demo.summary.apps.spa,
      scope: 'openid email profile',
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(name, value);
    const answer = await context.request.get(authorize.href, { maxRedirects: 0 });
    const code = new URL(answer.headers().location ?? '', demo.summary.issuer).searchParams.get('code');
    expect(code, `status ${answer.status()}`).toBeTruthy();
    const exchanged = await fetch(`${demo.summary.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: demo.summary.apps.spa, client_id: demo.summary.clientIds.spa, code_verifier: verifier }),
    });
    const { access_token: forUserinfo } = (await exchanged.json()) as { access_token: string };
    expect(decodeJwt(forUserinfo).aud).toBe(`${demo.summary.issuer}/userinfo`);
    // A valid token: userinfo takes it...
    expect((await fetch(`${demo.summary.issuer}/userinfo`, { headers: { Authorization: `Bearer ${forUserinfo}` } })).status).toBe(200);
    // ...and the API, which accepts only tokens whose aud is its own identifier, does not.
    const refused = await fetch(demo.summary.apps.api, { headers: { Authorization: `Bearer ${forUserinfo}` } });
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
  });

  it('refuses logout tokens and access tokens that Gatehouse did not sign, and keeps every session', async () => {
    // Right claims, wrong key: what an attacker who knows the client ids could forge.
    const { privateKey } = await generateKeyPair('RS256');
    const forge = (claims: JWTPayload, typ: string, audience: string) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ, kid: 'forged' }).setIssuer(demo.summary.issuer).setAudience(audience).setIssuedAt().setExpirationTime('2m').sign(privateKey);
    const logoutToken = (audience: string) => forge({ sub: 'anyone', jti: 'forged', events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, 'logout+jwt', audience);
    for (const [app, clientId] of [
      [demo.summary.apps.express, demo.summary.clientIds.express],
      [demo.summary.apps.openidClient, demo.summary.clientIds.openidClient],
    ] as const) {
      const answer = await fetch(new URL('/backchannel-logout', app), { method: 'POST', body: new URLSearchParams({ logout_token: await logoutToken(clientId) }) });
      // Back-Channel Logout 1.0 §2.8: a logout token that fails validation gets 400.
      expect(answer.status, app).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toBe('invalid_request');
    }

    const api = (authorization?: string) => fetch(demo.summary.apps.api, authorization ? { headers: { Authorization: authorization } } : {});
    const missing = await api();
    // RFC 6750 §3.1: no credentials, no error code; bad credentials, invalid_token.
    expect([missing.status, missing.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    const forged = await forge({ sub: 'anyone', client_id: demo.summary.clientIds.spa, scope: demo.summary.api.scope }, 'at+jwt', demo.summary.api.identifier);
    for (const authorization of [`Bearer ${forged}`, 'Bearer not-a-token']) {
      const refused = await api(authorization);
      expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
    }

    const app2 = tabs.app2!;
    await app2.reload();
    expect(await textOf(app2, 'name')).toBe('Ada Lovelace');
    expect(demo.lines.some((line) => /back-channel logout: [1-9]/.test(line))).toBe(false);
  });

  it("signs out of app 1 at Gatehouse, which signs the person out of app 2 by back-channel logout and fails the SPA's next silent check", async () => {
    const app1 = tabs.app1!;
    await app1.getByTestId('logout').click();
    await app1.waitForURL(`${new URL(demo.summary.apps.express).origin}/signed-out**`, NAVIGATION);
    expect(await app1.textContent('h1')).toBe('Signed out');
    await shot(app1, '06-app1-signed-out');

    // Gatehouse answers the logout after telling the other applications; app 2 logs what it ended.
    await expect.poll(() => demo.lines.some((line) => /^\[app2\] back-channel logout: 1 session\(s\) ended/.test(line)), NAVIGATION).toBe(true);
    const app2 = tabs.app2!;
    await app2.goto(demo.summary.apps.openidClient);
    await app2.waitForURL(onLoginPage, NAVIGATION);
    await shot(app2, '07-app2-signed-out-by-back-channel');

    const spa = tabs.spa!;
    await spa.getByTestId('check-session').click();
    await expect.poll(() => textOf(spa, 'session-result'), NAVIGATION).toMatch(/^Session check failed/);
    expect(await textOf(spa, 'status')).toBe('Signed out');
    await shot(spa, '08-spa-silent-check-failed');
    expect(violations).toEqual([]);
  });

  it('shows the error for a wrong password and keeps the person on the Gatehouse login page', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(demo.summary.apps.express);
    await page.waitForURL(onLoginPage, NAVIGATION);
    await page.getByLabel('Email').fill(demo.summary.user.email);
    await page.getByLabel('Password').fill('not the password of this person');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.textContent('[role=alert].error-summary p:not(.error-summary-title)')).toBe('Incorrect email or password.');
    expect(new URL(page.url()).origin).toBe(demo.summary.issuer);
    await shot(page, '09-wrong-password');
    const audit = new AccessibilityAudit(demo.summary.issuer);
    await audit.check(page, 'login page with a wrong password');
    audit.expectNone();
  });
});

describe('the demo script', () => {
  it('refuses an unknown --ports value before it creates anything', async () => {
    const child = spawn(process.execPath, [path.join(packageRoot, 'scripts/demo.mjs'), '--ports', '9000'], { cwd: packageRoot });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--ports is "auto" or absent');
  });
});
