// Passkeys in headless Chromium (issue 10), with the DevTools virtual authenticator (a platform authenticator
// with resident keys and user verification): a person adds a passkey from the account page, signs out, signs in
// to an application with the passkey alone, then removes it, after which it signs nobody in. Every page runs
// under our strict CSP with no violation.
//
// WebAuthn refuses IP addresses as RP IDs, so this issuer is http://localhost:<port> (a secure context in
// Chromium): a small TCP relay listens first to fix the port, and forwards to the app on 127.0.0.1.
import net from 'node:net';
import { decodeJwt } from 'jose';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { addClient, addUser, authorizationUrl, PASSWORD, redeemRaw, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const EMAIL = 'pat.passkey@example.com';
const CALLBACK = 'https://rp.example/callback';

/** A relay on localhost to the app's port (known only once the app runs). */
async function relay(): Promise<{ server: net.Server; port: number; target: { port: number } }> {
  const target = { port: 0 };
  const server = net.createServer((socket) => {
    const upstream = net.connect(target.port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port, target };
}

describe('passkeys in a real browser with a virtual authenticator', () => {
  let idp: RunningApp;
  let proxy: Awaited<ReturnType<typeof relay>>;
  let client: TestClient;
  let browser: Browser;

  beforeAll(async () => {
    proxy = await relay();
    idp = await startApp({ env: { ISSUER: `http://localhost:${proxy.port}` } });
    proxy.target.port = Number(new URL(idp.url).port);
    await addUser(idp, EMAIL, { name: 'Pat Passkey' });
    client = await addClient(idp, { redirectUris: [CALLBACK] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    proxy?.server.close();
  });

  async function signOut(page: Page): Promise<void> {
    await page.goto(`${idp.config.issuer}/account`);
    await page.locator('.account-me button', { hasText: 'Sign out' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/account'), { timeout: 10_000 });
  }

  it('adds a passkey on the account page, signs in to an application with it alone, and stops working once removed', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await context.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'relying app' }));
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // Signed in with the password, the person adds a passkey named "Test key".
    const audit = new AccessibilityAudit(idp.config.issuer);
    await page.goto(`${idp.config.issuer}/account`);
    await audit.check(page, 'login page (passkey button shown)');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${idp.config.issuer}/account`, { timeout: 10_000 });
    await page.locator('#passkey-current-password').fill(PASSWORD);
    await page.locator('#passkey-name').fill('Test key');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(`${idp.config.issuer}/account?done=passkey-added`, { timeout: 10_000 });
    expect(await page.textContent('[data-testid="passkeys-list"]')).toContain('Test key');
    await audit.check(page, 'account page with a passkey');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);

    // Signed out, the person signs in to the application with the passkey: no email, no password.
    await signOut(page);
    const start = await authorizationUrl(client);
    await page.goto(start.url.href);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.href.startsWith(CALLBACK), { timeout: 10_000 });
    const code = new URL(page.url()).searchParams.get('code') ?? '';
    const tokens = await redeemRaw(idp, client, code, start);
    const amr = decodeJwt(tokens.id_token ?? '').amr as string[];
    expect(amr).toContain('mfa');
    expect(amr.includes('hwk') || amr.includes('swk')).toBe(true);

    // The session the passkey started opens the account page; there the passkey is removed.
    await page.goto(`${idp.config.issuer}/account`);
    expect(await page.textContent('[data-testid="passkeys-list"]')).toContain('last used');
    await page.getByText('Rename or remove').click();
    await page.locator('#passkey-remove-password-0').fill(PASSWORD);
    await page.getByRole('button', { name: 'Remove passkey' }).click();
    await page.waitForURL(`${idp.config.issuer}/account?done=passkey-removed`, { timeout: 10_000 });
    expect(await page.textContent('[data-testid="passkeys-status"]')).toBe('No passkeys yet.');

    // The authenticator still offers the key, but Gatehouse no longer knows it.
    await signOut(page);
    const again = await authorizationUrl(client);
    await page.goto(again.url.href);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect.poll(() => page.textContent('#passkey-error'), { timeout: 10_000 }).toBe('This passkey was not accepted. Try again, or sign in with your password.');
    expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await audit.check(page, 'login page with a refused passkey');
    expect(violations).toEqual([]);
    audit.expectNone();
    await context.close();
  });
});
