// Issue 22's device flow end to end: a command-line tool (openid-client v6, a public client registered with
// --device) asks for a device authorization and polls the token endpoint while a person, in headless Chromium on
// "another screen", opens the verification link, signs in, finds the code filled in, reads what the tool asks for
// and chooses Allow; the tool then holds an ID token and an access token that jose verifies against our JWKS, with
// the person's auth_time and amr. Choosing Deny ends the tool's polling with access_denied. Every page runs under our
// strict CSP with no violation. Screenshots go to test/artifacts/device-*.png.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/manage/clients.js';
import type { UserRecord } from '../../src/store/records.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { addUser, manage, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = path.resolve('test/artifacts');
const TOOL = 'Deploy CLI';

describe('the device authorization grant with openid-client and a person in a real browser', () => {
  let idp: RunningApp;
  let browser: Browser;
  let ada: UserRecord;
  let tool: oidc.Configuration;
  const violations: string[] = [];
  let audit: AccessibilityAudit;

  async function watchedPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return page;
  }

  /** The person opens the link the tool printed, signs in and lands on the device page with the code filled in. */
  async function openVerificationLink(context: BrowserContext, start: oidc.DeviceAuthorizationResponse): Promise<Page> {
    const page = await watchedPage(context);
    await page.goto(start.verification_uri_complete ?? '');
    expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await audit.check(page, 'login page');
    await page.getByLabel('Email').fill(ada.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${idp.config.issuer}/device?user_code=${start.user_code}`, { timeout: 10_000 });
    expect(await page.getByLabel('Code').inputValue()).toBe(start.user_code);
    await audit.check(page, 'device code page');
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('device-')) rmSync(path.join(ARTIFACTS, file));
    idp = await startApp();
    ada = await addUser(idp, 'ada@example.com', { name: 'Ada Lovelace' });
    const { client } = await createClient(manage(idp), { name: TOOL, redirectUris: [], isPublic: true, device: true });
    tool = await oidc.discovery(new URL(idp.config.issuer), client.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    browser = await launchChromium();
    audit = new AccessibilityAudit(idp.config.issuer);
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  it('signs the tool in once the person allows it: tokens verified with jose, with the person’s auth_time and amr', { timeout: 60_000 }, async () => {
    const start = await oidc.initiateDeviceAuthorization(tool, { scope: 'openid profile offline_access' });
    expect(start.verification_uri).toBe(`${idp.config.issuer}/device`);
    expect(start.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    // The tool polls (every 5 s) while the person goes through the pages.
    const polling = oidc.pollDeviceAuthorizationGrant(tool, start);

    const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    const page = await openVerificationLink(context, start);
    await page.screenshot({ path: path.join(ARTIFACTS, 'device-1-code.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.textContent('h1')).toBe(`Allow ${TOOL} to use your account?`);
    const asks = await page.getByTestId('device-asks').innerText();
    expect(asks.split('\n').map((line) => line.trim())).toEqual(['Know who you are', 'See your name', `Stay signed in to ${TOOL} while you're away`]);
    expect(await page.getByTestId('device-user-code').textContent()).toBe(start.user_code);
    await page.screenshot({ path: path.join(ARTIFACTS, 'device-2-approve.png'), fullPage: true });
    await audit.check(page, 'device approval page');
    await page.getByRole('button', { name: 'Allow' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Device connected');
    await page.screenshot({ path: path.join(ARTIFACTS, 'device-3-connected.png'), fullPage: true });
    await audit.check(page, 'device connected page');

    const tokens = await polling;
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const jwks = createRemoteJWKSet(new URL(`${idp.config.issuer}/jwks`));
    const session = (await idp.store.sessions.listForUser(ada.id, idp.clock.now()))[0];
    const idToken = (await jwtVerify(tokens.id_token ?? '', jwks, { issuer: idp.config.issuer, audience: tool.clientMetadata().client_id })).payload;
    expect(idToken).toMatchObject({ sub: ada.id, name: 'Ada Lovelace', amr: ['pwd'], auth_time: Math.floor((session?.authTime ?? 0) / 1000), sid: session?.sid });
    const accessToken = await jwtVerify(tokens.access_token, jwks, { issuer: idp.config.issuer, audience: `${idp.config.issuer}/userinfo`, typ: 'at+jwt' });
    expect(accessToken.payload).toMatchObject({ sub: ada.id, client_id: tool.clientMetadata().client_id, scope: 'openid profile offline_access' });
    // The access token works at userinfo.
    const userinfo = await oidc.fetchUserInfo(tool, tokens.access_token, ada.id);
    expect(userinfo).toMatchObject({ sub: ada.id, name: 'Ada Lovelace' });
    expect(violations).toEqual([]);
    audit.expectNone();
    await context.close();
  });

  it('ends the tool’s polling with access_denied when the person chooses Deny', { timeout: 60_000 }, async () => {
    const start = await oidc.initiateDeviceAuthorization(tool, { scope: 'openid' });
    const polling = oidc.pollDeviceAuthorizationGrant(tool, start).then(
      () => 'tokens',
      (error: unknown) => (error as { error?: string }).error ?? String(error),
    );
    const context = await browser.newContext();
    const page = await openVerificationLink(context, start);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Device not connected');
    await audit.check(page, 'device denied page');
    expect(await polling).toBe('access_denied');
    expect(violations).toEqual([]);
    audit.expectNone();
    await context.close();
  });
});
