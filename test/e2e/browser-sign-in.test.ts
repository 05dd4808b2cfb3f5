// A person in headless Chromium signs in to an express-openid-connect application through our login page,
// then reaches a second application without the form (single sign-on).
import { type Browser } from 'playwright-core';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/manage/clients.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { reserve, startRelyingApp, type RelyingApp } from '../helpers/relying-app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('signing in with a real browser and a real relying-party library', () => {
  let idp: RunningApp;
  let browser: Browser;
  const apps: RelyingApp[] = [];

  async function registerApp(host: string, name: string): Promise<RelyingApp> {
    const reserved = await reserve(host);
    const ctx = { store: idp.store, clock: idp.clock, passwordMinLength: 15, actor: 'test', config: idp.config };
    const { client, clientSecret } = await createClient(ctx, { name, redirectUris: [`${reserved.baseUrl}/callback`] });
    const app = startRelyingApp(reserved, idp.config.issuer, client.clientId, clientSecret ?? '');
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    idp = await startApp();
    await addUser(idp, 'ada@example.com');
    // launch() gives every run a fresh, temporary user-data-dir of its own.
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const app of apps.splice(0)) await app.stop();
    await idp?.stop();
  });

  it('signs in through the login page, then into a second application without the form', async () => {
    const wiki = await registerApp('127.0.0.2', 'Team wiki');
    const crm = await registerApp('127.0.0.3', 'CRM');
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });

    await page.goto(`${wiki.baseUrl}/`);
    expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await expect.poll(() => page.textContent('main')).toContain('to continue to Team wiki');
    const audit = new AccessibilityAudit(idp.config.issuer);
    await audit.check(page, 'login page');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${wiki.baseUrl}/`, { timeout: 10_000 });
    expect(await page.textContent('body')).toMatch(/^Hello ada@example\.com \(/);

    await page.goto(`${crm.baseUrl}/`);
    await page.waitForURL(`${crm.baseUrl}/`, { timeout: 10_000 });
    expect(await page.textContent('body')).toMatch(/^Hello ada@example\.com \(/);
    expect(violations).toEqual([]);
    audit.expectNone();
    await context.close();
  });

  it('shows the same error for a wrong password, and keeps the person on our page', async () => {
    const app = await registerApp('127.0.0.4', 'Payroll');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.baseUrl}/`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the right password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.textContent('[role=alert].error-summary p:not(.error-summary-title)')).toBe('Incorrect email or password.');
    expect(page.url().startsWith(`${idp.config.issuer}/login`)).toBe(true);
    const audit = new AccessibilityAudit(idp.config.issuer);
    await audit.check(page, 'login page with a wrong password');
    audit.expectNone();
    await context.close();
  });
});
