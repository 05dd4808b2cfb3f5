// Issue 8's journey in headless Chromium: a person who forgot their password starts from the sign-in page,
// asks for a link, opens the mail Gatehouse wrote to the outbox, chooses a new password, signs in with it and
// lands on their account page, which lists the reset among their security events. Every page runs under our
// strict CSP with no violation. Screenshots go to test/artifacts/account-*.png.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { addUser } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = path.resolve('test/artifacts');
const EMAIL = 'forgetful@example.com';
const NEW_PASSWORD = 'remembered at last, a long passphrase';

describe('recovering an account in a real browser', () => {
  let idp: RunningApp;
  let browser: Browser;

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `account-${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('account-')) rmSync(path.join(ARTIFACTS, file));
    idp = await startApp();
    await addUser(idp, EMAIL, { name: 'Fran Forgetful' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  it('lets a person who forgot their password recover the account from the login page with the mail in the outbox', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });

    const audit = new AccessibilityAudit(idp.config.issuer);
    await page.goto(`${idp.config.issuer}/account`);
    expect(page.url().startsWith(`${idp.config.issuer}/login?return_to=`)).toBe(true);
    await audit.check(page, 'login page');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(`${idp.config.issuer}/forgot-password`);
    await audit.check(page, 'forgot password');
    await page.getByLabel('Email').fill(EMAIL);
    await screenshot(page, '1-forgot-password');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await expect.poll(() => page.textContent('h1'), { timeout: 10_000 }).toBe('Check your email');
    await audit.check(page, 'link sent');

    const mail = await waitForMail(idp.config.dataDir, EMAIL, { subject: /^Reset your password/ });
    const link = mail.links.find((url) => url.startsWith(`${idp.config.issuer}/reset-password?token=`));
    expect(link, mail.text).toBeDefined();
    await page.goto(link ?? '');
    await audit.check(page, 'choose a new password');
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await screenshot(page, '2-choose-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.textContent('h1'), { timeout: 10_000 }).toBe('Password changed');
    await audit.check(page, 'password changed');

    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${idp.config.issuer}/account`, { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Your account');
    expect(await page.textContent('main')).toContain('Fran Forgetful');
    const events = (await page.textContent('section[aria-labelledby="events-heading"]')) ?? '';
    for (const sentence of ['Signed in', 'Password reset with an emailed link', 'Password reset link requested']) expect(events).toContain(sentence);
    await screenshot(page, '3-account-page');
    await audit.check(page, 'account page');
    expect(violations).toEqual([]);
    audit.expectNone();
    await context.close();
  });
});
