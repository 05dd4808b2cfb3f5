// Issue 25's accessibility in headless Chromium (WCAG 2.2 AA): axe-core finds nothing on any page a person sees —
// login (and its refusal), two-step set-up (and its refusal), recovery codes, consent, the device pages, the
// account page, error pages, an expired link, logout and after, forgot password — in English, in Arabic (right to
// left) and in dark mode, each with the language switcher (CONTRACT) in its language. A keyboard alone signs in,
// with a visible focus ring and the skip link first; a refused form's error summary is announced (role=alert) and
// takes the focus; and at 400 % zoom (320 × 256 CSS px) nothing scrolls sideways and the Sign in button is whole
// once scrolled to. Pages are found by structure (ids, form roles), not English words, so the same journey runs in
// every language. Screens of failures go to test/artifacts/a11y-*.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import { createClient } from '../../src/manage/clients.js';
import { AccessibilityAudit, expectAccessible } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { loopbackServer, type LoopbackServer } from '../helpers/loopback-server.js';
import { addClient, addUser, authorizationUrl, manage, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = path.resolve('test/artifacts');
const NAVIGATION = { timeout: 15_000 };

/** The journeys' three looks: the issue asks for English, Arabic and dark mode at least. */
const VARIANTS: { name: string; options: BrowserContextOptions; lang: string; dir: 'ltr' | 'rtl' }[] = [
  { name: 'English', options: { locale: 'en-US' }, lang: 'en', dir: 'ltr' },
  { name: 'Arabic', options: { locale: 'ar' }, lang: 'ar', dir: 'rtl' },
  { name: 'English in dark mode', options: { locale: 'en-US', colorScheme: 'dark' }, lang: 'en', dir: 'ltr' },
];

describe('every page a person sees passes axe-core (WCAG 2.2 AA) in English, Arabic and dark mode', () => {
  let idp: RunningApp;
  let browser: Browser;
  let strict: TestClient;
  let stranger: TestClient;
  let deviceClientId: string;
  /** The applications' callback: a page of their own on loopback. */
  let rp: LoopbackServer;
  let CALLBACK: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    rp = await loopbackServer((res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('relying app'), '/callback');
    CALLBACK = rp.url;
    idp = await startApp();
    // Two-step verification required: a new person goes through its set-up pages.
    strict = await addClient(idp, { name: 'Payroll', requireMfa: true, redirectUris: [CALLBACK] });
    // A third-party application: the consent page.
    stranger = await addClient(idp, { name: 'Photo Printer', thirdParty: true, clientUri: 'https://photos.example.net/', redirectUris: [CALLBACK] });
    deviceClientId = (await createClient(manage(idp), { name: 'Living-room TV', redirectUris: [], isPublic: true, device: true })).client.clientId;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.stop();
    await rp?.stop();
  });

  /** The language-neutral way to press a form's submit button: the first form on the page (never the switcher). */
  const submit = (page: Page, value?: string) =>
    page
      .locator(`main form button[type=submit]${value ? `[value=${value}]` : ''}`)
      .first()
      .click();

  /** The browser is sent back to the application's callback. */
  const backAtApplication = (page: Page) => page.waitForURL((url) => url.href.startsWith(`${CALLBACK}?`), NAVIGATION);

  async function startDeviceFlow(): Promise<string> {
    const answer = await fetch(`${idp.config.issuer}/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: deviceClientId, scope: 'openid profile' }) });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { user_code: string }).user_code;
  }

  for (const [index, variant] of VARIANTS.entries()) {
    it(`finds no violation on any page, ${variant.name}`, { timeout: 120_000 }, async () => {
      const email = `person-${index}@example.com`;
      await addUser(idp, email, { name: variant.dir === 'rtl' ? 'ليلى أحمد' : 'Lee Person' });
      const context = await browser.newContext({ ...variant.options, viewport: { width: 1000, height: 800 } });
      const page = await context.newPage();
      const audit = new AccessibilityAudit(idp.config.issuer);
      const check = async (label: string) => {
        await audit.check(page, label);
        expect(await page.getAttribute('html', 'lang'), label).toBe(variant.lang);
        expect(await page.getAttribute('html', 'dir'), label).toBe(variant.dir);
        // CONTRACT: a language switcher on every page a person sees, showing this page's language.
        expect(await page.locator('.language-switcher select[name=lang]').inputValue(), label).toBe(variant.lang);
      };
      try {
        // The login page, refused once (the error summary), then the set-up of two-step verification.
        await page.goto((await authorizationUrl(strict)).url.href);
        await check('login page');
        await page.locator('#email').fill(email);
        await page.locator('#password').fill('not the password at all');
        await submit(page);
        await page.locator('.error-summary').waitFor(NAVIGATION);
        await check('login page with an error');
        await page.locator('#password').fill(PASSWORD);
        await submit(page);
        const secretShown = page.getByTestId('totp-secret');
        await secretShown.waitFor(NAVIGATION);
        await check('two-step set-up');
        const secret = ((await secretShown.textContent()) ?? '').replace(/\s+/g, '');
        const good = totpCodeAt(secret, totpStep(Date.now()));
        await page.locator('#code').fill(good === '000000' ? '111111' : '000000');
        await submit(page);
        await page.locator('.error-summary, [role=alert]:not([hidden])').first().waitFor(NAVIGATION);
        await check('two-step set-up with an error');
        await page.locator('#code').fill(totpCodeAt(secret, totpStep(Date.now())));
        await submit(page);
        await page.getByTestId('recovery-codes').waitFor(NAVIGATION);
        await check('recovery codes');
        await Promise.all([backAtApplication(page), submit(page)]);

        // The consent page of a third-party application; denied.
        await page.goto((await authorizationUrl(stranger)).url.href);
        await page.waitForURL((url) => url.pathname === '/consent', NAVIGATION);
        await check('consent page');
        await Promise.all([backAtApplication(page), submit(page, 'deny')]);

        // The device pages: a wrong code first, then the right one, allowed.
        const userCode = await startDeviceFlow();
        await page.goto(`${idp.config.issuer}/device`);
        await check('device code page');
        await page.locator('#user_code').fill('BBBB-BBBB');
        await submit(page);
        await page.locator('#user_code[aria-invalid=true]').waitFor(NAVIGATION);
        await check('device code page with an error');
        await page.locator('#user_code').fill(userCode);
        await submit(page);
        await page.getByTestId('device-user-code').waitFor(NAVIGATION);
        await check('device approval page');
        await submit(page, 'allow');
        await page.waitForURL((url) => url.pathname.startsWith('/device'), NAVIGATION);
        await page.locator('main h1').waitFor(NAVIGATION);
        await check('device done page');

        // The account page; error pages; a mailed link that no longer works; logout and after.
        await page.goto(`${idp.config.issuer}/account`);
        await check('account page');
        await page.goto(`${idp.config.issuer}/authorize?client_id=nobody-registered-this&response_type=code`);
        await check('authorization error page');
        await page.goto(`${idp.config.issuer}/no-such-page`);
        await check('not found page');
        await page.goto(`${idp.config.issuer}/reset-password?token=not-a-link-anyone-was-sent`);
        await check('expired link page');
        await page.goto(`${idp.config.issuer}/logout`);
        await check('logout page');
        // The answer to the POST is the signed-out page, at the same address: its heading tells it has come.
        const asking = await page.textContent('main h1');
        await submit(page);
        await expect.poll(() => page.textContent('main h1'), NAVIGATION).not.toBe(asking);
        await check('signed out page');
        // Someone who is not signed in: forgot password.
        await page.goto(`${idp.config.issuer}/forgot-password`);
        await check('forgot password page');
        audit.expectNone();
      } catch (error) {
        await page.screenshot({ path: path.join(ARTIFACTS, `a11y-${index}-failure.png`), fullPage: true });
        throw error;
      } finally {
        await context.close();
      }
    });
  }

  it('signs in with the keyboard alone: the skip link first, a visible focus ring on each control, the error summary focused and announced', { timeout: 60_000 }, async () => {
    const email = 'keyboard@example.com';
    await addUser(idp, email, { name: 'Kim Keys' });
    const plain = await addClient(idp, { name: 'Wiki', redirectUris: [CALLBACK] });
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto((await authorizationUrl(plain)).url.href);
    const focused = () =>
      page.evaluate(() => {
        const element = (globalThis as unknown as { document: { activeElement: { id: string; className: string; tagName: string } | null } }).document.activeElement;
        return element ? { id: element.id, className: String(element.className), tag: element.tagName.toLowerCase() } : null;
      });
    /** The focus ring drawn around the focused element (SC 2.4.7; 2.4.13's 2 px). */
    const ring = () =>
      page.evaluate(() => {
        const scope = globalThis as unknown as { document: { activeElement: unknown }; getComputedStyle(element: unknown): { outlineStyle: string; outlineWidth: string } };
        const style = scope.getComputedStyle(scope.document.activeElement);
        return { style: style.outlineStyle, width: Number.parseFloat(style.outlineWidth) };
      });

    // The email field has the focus on arrival (autofocus). The first thing Tab reaches from the top of the page is
    // the skip link, shown when focused.
    expect(await focused()).toMatchObject({ id: 'email' });
    const first = await page.evaluate(() => {
      const scope = globalThis as unknown as { document: { querySelector(selector: string): { className: string } | null } };
      return scope.document.querySelector('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])')?.className;
    });
    expect(first).toBe('skip-link');
    await page.locator('.skip-link').focus();
    const skip = await page.locator('.skip-link').boundingBox();
    expect(skip && skip.y >= 0 && skip.height >= 24 && skip.width >= 24, JSON.stringify(skip)).toBe(true);
    expect((await ring()).width).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#main');

    // From the main content: the email field, the password field; Enter sends the form.
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ id: 'email' });
    expect(await ring()).toMatchObject({ style: 'solid' });
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ id: 'password' });
    await page.keyboard.type('wrong password, typed');
    await page.keyboard.press('Enter');

    // Refused: the error summary takes the focus and is announced; the field it concerns points at it.
    await page.locator('.error-summary').waitFor(NAVIGATION);
    expect(await focused()).toMatchObject({ className: expect.stringContaining('error-summary') });
    expect(await page.locator('.error-summary').getAttribute('role')).toBe('alert');
    expect(await page.locator('#email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#email').getAttribute('aria-describedby')).toContain(await page.locator('.error-summary').getAttribute('id'));
    await expectAccessible(page, 'the login page with its error summary focused');

    // On from the summary: the email (kept), the password, the button.
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ id: 'email' });
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ id: 'password' });
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ tag: 'button' });
    expect(await ring()).toMatchObject({ style: 'solid' });
    await Promise.all([backAtApplication(page), page.keyboard.press('Enter')]);
    await context.close();
  });

  for (const lang of ['en', 'de', 'ar']) {
    it(`keeps the Sign in button whole and nothing scrolling sideways at 400 % zoom (320 × 256 CSS px), ${lang}`, async () => {
      const context = await browser.newContext({ viewport: { width: 320, height: 256 }, locale: lang });
      const page = await context.newPage();
      await page.goto((await authorizationUrl(strict, { ui_locales: lang })).url.href);
      const widths = await page.evaluate(() => {
        const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
        return { scroll: root.scrollWidth, client: root.clientWidth };
      });
      expect(widths.scroll, 'no horizontal scrolling (SC 1.4.10)').toBeLessThanOrEqual(widths.client);
      const button = page.locator('main form button[type=submit]').first();
      await button.scrollIntoViewIfNeeded();
      const box = await button.boundingBox();
      expect(box, 'the Sign in button is laid out').not.toBeNull();
      const { x, y, width, height } = box!;
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + width).toBeLessThanOrEqual(320);
      expect(y + height).toBeLessThanOrEqual(256);
      expect(height).toBeGreaterThanOrEqual(24);
      // Nothing covers it: the point at its centre is the button (or its text).
      const onTop = await page.evaluate(
        ([cx, cy]) => {
          const scope = globalThis as unknown as { document: { elementFromPoint(x: number, y: number): { closest(selector: string): unknown } | null } };
          return Boolean(scope.document.elementFromPoint(cx!, cy!)?.closest('button[type=submit]'));
        },
        [x + width / 2, y + height / 2],
      );
      expect(onTop).toBe(true);
      await expectAccessible(page, `the login page at 320 px, ${lang}`);
      await context.close();
    });
  }
});
