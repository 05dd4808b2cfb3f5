// An administrator in headless Chromium (issue 7): signs in to the admin screens, creates a person and registers
// an application entirely through the pages, and that person then signs in to that application, a real
// express-openid-connect app on another origin, with the client id and secret the page showed once. Every step
// runs under our strict CSP with no violation. Screenshots of the main screens go to test/artifacts/.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdmin } from '../helpers/admin.js';
import { PASSWORD } from '../helpers/oidc.js';
import { reserve, startRelyingApp, type RelyingApp } from '../helpers/relying-app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = path.resolve('test/artifacts');
const NEW_PERSON = 'grace@example.com';
const NEW_PASSWORD = 'a passphrase chosen by the administrator';

describe('the admin screens in a real browser', () => {
  let idp: RunningApp;
  let browser: Browser;
  let relying: RelyingApp | undefined;

  let audit: AccessibilityAudit;

  /** Each screen shot is also checked with axe (WCAG 2.2 AA). */
  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `admin-${name}.png`), fullPage: true });
    await audit.check(page, `admin ${name}`);
  }

  /** Collects every CSP refusal the page reports: our pages must need no inline script or style. */
  function watchCsp(page: Page): string[] {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return violations;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('admin-')) rmSync(path.join(ARTIFACTS, file));
    idp = await startApp();
    await addAdmin(idp, 'root@example.com', 'Ada Admin');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await relying?.stop();
    await idp?.stop();
  });

  it('lets an administrator create a person and an application, and that person then signs in to it', async () => {
    const reserved = await reserve('127.0.0.6');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const violations = watchCsp(page);
    audit = new AccessibilityAudit(idp.config.issuer);

    // Anonymous: the admin home sends the browser to the login page, which comes back after signing in.
    await page.goto(`${idp.config.issuer}/admin`);
    expect(page.url().startsWith(`${idp.config.issuer}/login?return_to=`)).toBe(true);
    await audit.check(page, 'login page');
    await page.getByLabel('Email').fill('root@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${idp.config.issuer}/admin`, { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Dashboard');
    await screenshot(page, '1-dashboard');

    // A person, with a password the administrator sets.
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'New user' }).click();
    await page.getByLabel('Email').fill(NEW_PERSON);
    await page.getByLabel('Name (optional)').fill('Grace Hopper');
    await page.getByLabel(/Generate a password/).uncheck();
    await page.getByLabel('Or set a password').fill(NEW_PASSWORD);
    await screenshot(page, '2-new-user');
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => page.textContent('main'), { timeout: 10_000 }).toContain(NEW_PERSON);
    const grace = await idp.store.users.findByEmail(NEW_PERSON);
    expect(grace).toMatchObject({ name: 'Grace Hopper', isAdmin: false, disabled: false });
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Users' }).click();
    await expect.poll(() => page.textContent('table')).toContain(NEW_PERSON);
    await screenshot(page, '3-users');

    // An application on another origin, confidential: its secret is shown once, with the discovery URL.
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('link', { name: 'Register a client' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Team wiki');
    await page.getByLabel('Redirect URIs', { exact: true }).fill(`${reserved.baseUrl}/callback`);
    await page.getByRole('button', { name: /Create|Register/ }).click();
    await expect.poll(() => page.textContent('main')).toContain('This secret is shown only now.');
    const clientId = await page.getByLabel('Client ID').inputValue();
    const clientSecret = await page.getByLabel('Client secret').inputValue();
    expect(await page.getByLabel('Discovery URL (issuer metadata)').inputValue()).toBe(`${idp.config.issuer}/.well-known/openid-configuration`);
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await screenshot(page, '4-client-created');

    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Signing keys' }).click();
    await expect.poll(() => page.textContent('main')).toContain(idp.keyRing.signingKey.kid);
    await screenshot(page, '5-keys');
    await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit log' }).click();
    await expect.poll(() => page.textContent('main')).toContain('client.created');
    expect(await page.textContent('main')).toMatch(/intact/i);
    await screenshot(page, '6-audit-log');
    expect(violations).toEqual([]);

    // The person, in a browser of their own, signs in to the application with what the pages gave.
    relying = startRelyingApp(reserved, idp.config.issuer, clientId, clientSecret);
    const theirs = await browser.newContext();
    const theirPage = await theirs.newPage();
    const theirViolations = watchCsp(theirPage);
    await theirPage.goto(`${reserved.baseUrl}/`);
    expect(theirPage.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await expect.poll(() => theirPage.textContent('main')).toContain('to continue to Team wiki');
    await audit.check(theirPage, 'login page for an application');
    await theirPage.getByLabel('Email').fill(NEW_PERSON);
    await theirPage.getByLabel('Password').fill(NEW_PASSWORD);
    await theirPage.getByRole('button', { name: 'Sign in' }).click();
    await theirPage.waitForURL(`${reserved.baseUrl}/`, { timeout: 10_000 });
    expect(await theirPage.textContent('body')).toBe(`Hello ${NEW_PERSON} (${grace?.id})`);
    expect(theirViolations).toEqual([]);

    // Back in the admin screens, the person's session shows with the application it signed in to.
    await page.goto(`${idp.config.issuer}/admin/users/${grace?.id}`);
    await expect.poll(() => page.textContent('main')).toContain('Team wiki');
    await screenshot(page, '7-user-with-session');
    expect(violations).toEqual([]);
    audit.expectNone();
    await theirs.close();
    await context.close();
  });
});
