// Issue 25's Tests, in headless Chromium: the login page in German (ui_locales=de), in Arabic (ui_locales=ar: lang,
// dir="rtl", a mirrored layout) and in Japanese (a Japanese browser: Accept-Language); the language switcher (kept
// by a cookie, beaten by ui_locales); a reset mail in French when the page was French; the brand from configuration
// (BRAND_NAME, BRAND_COLOR, BRAND_LOGO: name, logo from our origin, colour on the button) and from the admin
// "Branding" screen (the live preview follows the form, the save reaches the login page); a low-contrast colour
// refused with its ratio, nothing saved. Every page runs under our strict CSP with no violation and passes axe.
// Expected texts come from the catalog (src/i18n/catalog.ts), and each is checked to differ from English.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translatorFor } from '../../src/i18n/catalog.js';
import { directionOf, type Language } from '../../src/i18n/languages.js';
import { addAdmin } from '../helpers/admin.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { loopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { addClient, addUser, authorizationUrl, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';

const NAVIGATION = { timeout: 15_000 };
const english = translatorFor('en');

/** The text of `key` in `language`, which must not be the English one (a missing translation falls back to it). */
function text(language: Language, key: string, values?: Record<string, unknown>): string {
  const shown = translatorFor(language)(key, values);
  if (language !== 'en') expect(shown, `${language} ${key}`).not.toBe(english(key, values));
  return shown;
}

/** A page whose CSP refusals are collected: our pages need no inline script or style, in any language. */
async function watchedPage(context: BrowserContext, violations: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return page;
}

/** The login page speaks `language`: html lang and dir, the heading, the fields' labels, the button, the switcher. */
async function expectLoginPageIn(page: Page, language: Language): Promise<void> {
  await expect.poll(() => page.getAttribute('html', 'lang'), NAVIGATION).toBe(language);
  expect(await page.getAttribute('html', 'dir')).toBe(directionOf(language));
  expect((await page.textContent('main h1'))?.trim()).toBe(text(language, 'login.title'));
  await expect.poll(() => page.getByLabel(text(language, 'login.email'), { exact: true }).count()).toBe(1);
  await expect.poll(() => page.getByLabel(text(language, 'login.password'), { exact: true }).count()).toBe(1);
  await expect.poll(() => page.getByRole('button', { name: text(language, 'login.submit'), exact: true }).count()).toBe(1);
  expect(await page.getByRole('link', { name: text(language, 'login.forgotPassword') }).count()).toBe(1);
  expect(await page.locator('.site-footer select[name=lang]').inputValue()).toBe(language);
}

describe('the login page in the person’s language, and the switcher', () => {
  let idp: RunningApp;
  let browser: Browser;
  let client: TestClient;
  let rp: LoopbackServer;
  const violations: string[] = [];

  beforeAll(async () => {
    rp = await loopbackServer((res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('relying app'), '/callback');
    idp = await startApp();
    client = await addClient(idp, { name: 'Team wiki', redirectUris: [rp.url] });
    await addUser(idp, 'camille@example.com', { name: 'Camille Martin' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    await rp?.stop();
  });

  async function loginPage(options: BrowserContextOptions, extra: Record<string, string> = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, ...options });
    const page = await watchedPage(context, violations);
    await page.goto((await authorizationUrl(client, extra)).url.href);
    await page.waitForURL((url) => url.pathname === '/login', NAVIGATION);
    return { context, page };
  }

  it('shows the login page in German for ui_locales=de, whatever the browser speaks', async () => {
    const { context, page } = await loginPage({ locale: 'en-US' }, { ui_locales: 'de' });
    await expectLoginPageIn(page, 'de');
    expect(await page.textContent('main')).toContain(text('de', 'login.continueTo', { app: 'Team wiki' }).replace(/\s+/g, ' '));
    expect(await page.title()).toBe(`${text('de', 'login.title')} · Gatehouse`);
    // A wrong password: the refusal in German too, in the error summary.
    await page.getByLabel(text('de', 'login.email'), { exact: true }).fill('camille@example.com');
    await page.getByLabel(text('de', 'login.password'), { exact: true }).fill('not the password');
    await page.getByRole('button', { name: text('de', 'login.submit'), exact: true }).click();
    await expect.poll(() => page.locator('.error-summary').textContent(), NAVIGATION).toContain(text('de', 'login.incorrect'));
    expect(await page.locator('.error-summary').textContent()).toContain(text('de', 'common.errorSummaryTitle'));
    const audit = new AccessibilityAudit(idp.config.issuer);
    await audit.check(page, 'German login page with an error');
    audit.expectNone();
    expect(violations).toEqual([]);
    await context.close();
  });

  it('shows the login page in Arabic for ui_locales=ar, right to left, with the layout mirrored', async () => {
    const { context, page } = await loginPage({ locale: 'en-US' }, { ui_locales: 'ar' });
    await expectLoginPageIn(page, 'ar');
    // Mirrored: a field's label is written from the right edge of the field, the heading from the card's right, and
    // the skip link appears at the top right.
    const words = (selector: string) =>
      page.locator(selector).evaluate((element) => {
        const scope = globalThis as unknown as { document: { createRange(): { selectNodeContents(node: unknown): void; getBoundingClientRect(): { left: number; right: number } } } };
        const range = scope.document.createRange();
        range.selectNodeContents(element);
        const { left, right } = range.getBoundingClientRect();
        return { left, right };
      });
    const input = (await page.locator('#email').boundingBox())!;
    const label = await words('label[for=email]');
    expect(Math.abs(label.right - (input.x + input.width)), 'the label ends where the field ends, on the right').toBeLessThanOrEqual(1);
    expect(label.left - input.x, 'and starts far from the left').toBeGreaterThan(input.width / 2);
    const heading = await words('main h1');
    expect(Math.abs(heading.right - (input.x + input.width)), 'the heading starts on the right').toBeLessThanOrEqual(1);
    await page.locator('.skip-link').focus();
    const skip = (await page.locator('.skip-link').boundingBox())!;
    expect(skip.x + skip.width / 2).toBeGreaterThan(page.viewportSize()!.width / 2);
    // The email typed stays left to right inside the right-to-left page.
    expect(await page.locator('#email').evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { direction: string } }).getComputedStyle(element).direction)).toBe('ltr');
    const audit = new AccessibilityAudit(idp.config.issuer);
    await audit.check(page, 'Arabic login page');
    audit.expectNone();
    expect(violations).toEqual([]);
    await context.close();
  });

  it('shows the login page in Japanese to a browser that asks for Japanese (Accept-Language)', async () => {
    const { context, page } = await loginPage({ locale: 'ja-JP' });
    await expectLoginPageIn(page, 'ja');
    expect(violations).toEqual([]);
    await context.close();
  });

  it('switches the language with the footer’s switcher, remembers it in this browser, and lets ui_locales win', async () => {
    const { context, page } = await loginPage({ locale: 'en-US' });
    await expectLoginPageIn(page, 'en');
    const at = page.url();
    await page.getByLabel(english('common.language'), { exact: true }).selectOption('de');
    await page.getByRole('button', { name: english('common.changeLanguage'), exact: true }).click();
    // Back on the same page (the same pending sign-in), now in German.
    await expectLoginPageIn(page, 'de');
    expect(page.url()).toBe(at);
    expect((await context.cookies()).find((cookie) => cookie.name.endsWith('gatehouse_language'))?.value).toBe('de');

    // Remembered: the next sign-in in this browser is German without asking; ui_locales beats the cookie.
    await page.goto((await authorizationUrl(client)).url.href);
    await expectLoginPageIn(page, 'de');
    await page.goto((await authorizationUrl(client, { ui_locales: 'es' })).url.href);
    await expectLoginPageIn(page, 'es');
    // Back with the switcher, from the German page's own labels.
    await page.goto((await authorizationUrl(client)).url.href);
    await page.getByLabel(text('de', 'common.language'), { exact: true }).selectOption('en');
    await page.getByRole('button', { name: text('de', 'common.changeLanguage'), exact: true }).click();
    await expectLoginPageIn(page, 'en');
    expect(violations).toEqual([]);
    await context.close();
  });

  it('sends the reset mail in French when the person asked for it from a French page', async () => {
    const { context, page } = await loginPage({ locale: 'en-US' });
    await page.getByLabel(english('common.language'), { exact: true }).selectOption('fr');
    await page.getByRole('button', { name: english('common.changeLanguage'), exact: true }).click();
    await expectLoginPageIn(page, 'fr');
    await page.getByRole('link', { name: text('fr', 'login.forgotPassword') }).click();
    await page.waitForURL((url) => url.pathname === '/forgot-password', NAVIGATION);
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    expect((await page.textContent('main h1'))?.trim()).toBe(text('fr', 'forgotPassword.title'));
    await page.getByLabel(text('fr', 'forgotPassword.emailLabel'), { exact: true }).fill('camille@example.com');
    await page.getByRole('button', { name: text('fr', 'forgotPassword.send'), exact: true }).click();
    await expect.poll(() => page.textContent('main h1'), NAVIGATION).toContain(text('fr', 'forgotPassword.sentTitle'));

    const mail = await waitForMail(idp.config.dataDir, 'camille@example.com');
    // The French subject and text, whatever their placeholders hold: the words before the first one.
    const before = (key: string) => text('fr', key).split('{{')[0]!.trim();
    expect(mail.subject.startsWith(before('mail.passwordReset.subject')), mail.subject).toBe(true);
    expect(mail.text).toContain(before('mail.passwordReset.action'));
    expect(mail.html).toMatch(/<html[^>]*lang="fr"/);
    expect(mail.links.some((link) => link.startsWith(`${idp.config.issuer}/reset-password?token=`))).toBe(true);
    expect(violations).toEqual([]);
    await context.close();
  });
});

/** A small logo, an SVG file the operator names with BRAND_LOGO. */
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="32" viewBox="0 0 96 32"><rect width="96" height="32" rx="6" fill="#8a1538"/></svg>\n';
const BRAND_COLOR = '#8a1538';
const BRAND_RGB = 'rgb(138, 21, 56)';

/** The brand the login page shows: the header's name, the logo loaded from our origin, the button's colour. */
async function brandShown(page: Page): Promise<{ name: string; title: string; logo: { src: string; loaded: boolean } | null; button: string }> {
  const logo = page.locator('header .brand-logo');
  const shownLogo =
    (await logo.count()) === 0
      ? null
      : await logo.evaluate((element) => {
          const image = element as unknown as { currentSrc: string; complete: boolean; naturalWidth: number };
          return { src: image.currentSrc, loaded: image.complete && image.naturalWidth > 0 };
        });
  return {
    name: ((await page.locator('header .brand').textContent()) ?? '').trim(),
    title: await page.title(),
    logo: shownLogo,
    button: await page
      .locator('main form button[type=submit]')
      .first()
      .evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor),
  };
}

describe('the organisation’s brand from configuration (BRAND_NAME, BRAND_COLOR, BRAND_LOGO)', () => {
  let idp: RunningApp;
  let browser: Browser;
  let client: TestClient;
  let logoDir: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    // The operator's logo file, in a directory of its own.
    logoDir = tempDir();
    writeFileSync(path.join(logoDir.dir, 'logo.svg'), LOGO_SVG);
    idp = await startApp({ env: { BRAND_NAME: 'Acme Corp', BRAND_COLOR: BRAND_COLOR, BRAND_LOGO: path.join(logoDir.dir, 'logo.svg') } });
    client = await addClient(idp, { name: 'Team wiki' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    logoDir?.remove();
  });

  it('puts the name, the logo (served from our origin) and the colour on the login page, in light and dark mode', async () => {
    const violations: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme, locale: 'en-US' });
      const page = await watchedPage(context, violations);
      await page.goto((await authorizationUrl(client)).url.href);
      await page.waitForURL((url) => url.pathname === '/login', NAVIGATION);
      const shown = await brandShown(page);
      expect(shown.name).toBe('Acme Corp');
      expect(shown.title).toBe(`${english('login.title')} · Acme Corp`);
      expect(shown.logo?.loaded).toBe(true);
      expect(new URL(shown.logo?.src ?? '').origin).toBe(new URL(idp.config.issuer).origin);
      expect(new URL(shown.logo?.src ?? '').pathname).toMatch(/^\/branding\/logo/);
      // Light mode: the brand colour itself; dark mode: a lighter shade of it (readable on the dark card).
      if (colorScheme === 'light') expect(shown.button).toBe(BRAND_RGB);
      else expect(shown.button).not.toBe(BRAND_RGB);
      const audit = new AccessibilityAudit(idp.config.issuer);
      await audit.check(page, `branded login page, ${colorScheme}`);
      audit.expectNone();
      await context.close();
    }
    expect(violations).toEqual([]);
  });
});

describe('the organisation’s brand from the admin Branding screen', () => {
  let idp: RunningApp;
  let browser: Browser;
  let client: TestClient;

  beforeAll(async () => {
    idp = await startApp();
    await addAdmin(idp, 'root@example.com', 'Ada Admin');
    client = await addClient(idp, { name: 'Team wiki' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
  });

  async function brandingScreen(violations: string[]): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-US' });
    const page = await watchedPage(context, violations);
    await page.goto(`${idp.config.issuer}/admin/branding`);
    await page.getByLabel('Email', { exact: true }).fill('root@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${idp.config.issuer}/admin/branding`, NAVIGATION);
    return { context, page };
  }

  const previewButton = (page: Page) =>
    page
      .getByTestId('brand-preview')
      .locator('.brand-preview-button')
      .evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor);

  it('previews the name and colour as the admin types, saves them, and the login page shows them at once', async () => {
    const violations: string[] = [];
    const { context, page } = await brandingScreen(violations);
    const audit = new AccessibilityAudit(idp.config.issuer);
    await audit.check(page, 'admin branding screen');
    const defaultButton = await previewButton(page);

    await page.getByLabel('Name', { exact: false }).first().fill('Acme Corp');
    await page.locator('#color').fill(BRAND_COLOR);
    // The live preview: the name and the colour, before anything is saved.
    await expect.poll(() => page.locator('[data-brand-preview-name]').textContent(), NAVIGATION).toBe('Acme Corp');
    await expect.poll(() => previewButton(page), NAVIGATION).toBe(BRAND_RGB);
    expect(BRAND_RGB).not.toBe(defaultButton);
    expect(await idp.store.branding.get()).toBeNull();

    await page.getByRole('button', { name: 'Save branding' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent(), NAVIGATION).toBeTruthy();
    expect(await idp.store.branding.get()).toMatchObject({ name: 'Acme Corp', color: BRAND_COLOR });
    await audit.check(page, 'admin branding screen after saving');

    // Someone signing in now sees it.
    const visitor = await browser.newContext({ locale: 'en-US' });
    const login = await watchedPage(visitor, violations);
    await login.goto((await authorizationUrl(client)).url.href);
    await login.waitForURL((url) => url.pathname === '/login', NAVIGATION);
    const shown = await brandShown(login);
    expect(shown.name).toBe('Acme Corp');
    expect(shown.title).toBe(`${english('login.title')} · Acme Corp`);
    expect(shown.button).toBe(BRAND_RGB);
    await audit.check(login, 'login page under the saved brand');
    audit.expectNone();
    expect(violations).toEqual([]);
    await visitor.close();
    await context.close();
  });

  it('refuses a colour whose contrast is too low, says its ratio, and saves nothing', async () => {
    const violations: string[] = [];
    const before = await idp.store.branding.get();
    const { context, page } = await brandingScreen(violations);
    // Yellow on white: about 1.07:1, far below 4.5:1.
    await page.locator('#color').fill('#ffff00');
    await expect.poll(() => page.locator('[data-brand-contrast]').textContent(), NAVIGATION).toMatch(/1\.0\d:1/);
    await page.getByRole('button', { name: 'Save branding' }).click();
    const refusal = page.locator('[role=alert]').first();
    await expect.poll(() => refusal.textContent(), NAVIGATION).toMatch(/contrast of 1\.0\d:1/);
    expect(await refusal.textContent()).toContain('4.5:1');
    expect(await page.locator('#color').getAttribute('aria-invalid')).toBe('true');
    expect(await idp.store.branding.get()).toEqual(before);
    const audit = new AccessibilityAudit(idp.config.issuer);
    await audit.check(page, 'admin branding screen with a refused colour');
    audit.expectNone();
    expect(violations).toEqual([]);
    await context.close();
  });
});
