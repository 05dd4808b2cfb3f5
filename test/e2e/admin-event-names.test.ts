// In headless Chromium (issue 20): the audit log names people by email and applications by name, each a link to
// its page whose title carries the id, and following the link reaches that page; under our CSP, with no violation.
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdmin } from '../helpers/admin.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { addClient, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('the audit log in a real browser names people and applications', () => {
  let idp: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    idp = await startApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  it('shows the email and the application name, links them to their pages, and keeps the ids in the titles', async () => {
    const root = await addAdmin(idp, 'root@example.com', 'Root Admin');
    const { clientId } = await addClient(idp, { name: 'Payroll' });
    await idp.store.audit.append({ at: Date.now(), type: 'token.issued', actor: root.id, subject: root.id, clientId, ip: null, outcome: 'success', details: {} });

    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    const audit = new AccessibilityAudit(idp.config.issuer);
    await page.goto(`${idp.config.issuer}/admin/audit`);
    await audit.check(page, 'login page');
    await page.getByLabel('Email').fill('root@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${idp.config.issuer}/admin/audit`, { timeout: 10_000 });
    await audit.check(page, 'admin audit log');

    const row = page.getByRole('row').filter({ hasText: 'token.issued' });
    const person = row.getByRole('link', { name: 'root@example.com', exact: true }).first();
    expect(await person.getAttribute('title')).toBe(`person ${root.id}`);
    const application = row.getByRole('link', { name: 'Payroll', exact: true });
    expect(await application.getAttribute('title')).toBe(`application ${clientId}`);
    expect(await row.getByRole('link', { name: 'Events of this client: Payroll' }).getAttribute('href')).toBe(`/admin/audit?client=${clientId}`);

    await application.click();
    await page.waitForURL(`${idp.config.issuer}/admin/clients/${clientId}`, { timeout: 10_000 });
    await expect.poll(() => page.textContent('h1')).toBe('Payroll');
    await audit.check(page, 'admin client page');
    expect(violations).toEqual([]);
    audit.expectNone();
    await context.close();
  });
});
