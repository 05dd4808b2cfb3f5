// `npm run screenshots`: the login page in each language Gatehouse ships, and in dark mode, as people see it, to
// docs/screenshots/login-<language>.png and docs/screenshots/login-dark.png (README, "Languages"). A real app on a
// loopback port over a temporary SQLite directory, an application asking for a sign-in (so the page says "to
// continue to Team wiki"), and headless Chromium (test/helpers/chromium.ts: /usr/bin/chromium); nothing outside
// the temporary directory and docs/screenshots/ is touched. Run it after a change to a page's look or texts.
// Chromium draws with the system's fonts: Japanese needs one (Debian: apt-get install fonts-ipafont-gothic), Arabic
// is in DejaVu Sans, which Chromium brings; the script refuses to draw boxes in place of a language's letters.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContextOptions } from 'playwright-core';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/http/app.js';
import { LANGUAGES, LANGUAGE_NAMES } from '../src/i18n/languages.js';
import { createLogger } from '../src/logger.js';
import { createClient } from '../src/manage/clients.js';
import { packageRoot } from '../src/paths.js';
import { openServices } from '../src/services.js';
import { launchChromium } from '../test/helpers/chromium.js';

const OUTPUT = path.join(packageRoot, 'docs/screenshots');
/** A phone-sized window: the card fills it, the footer's switcher shows below (full-page shots). */
const VIEWPORT = { width: 480, height: 720 };
const APPLICATION = 'Team wiki';

/** Languages whose letters the default fonts lack, with the Debian package that has them. */
const FONTS_NEEDED: Record<string, string> = { ja: 'fonts-ipafont-gothic' };

/** Refuses to start when fontconfig knows no font for a language (Chromium would draw empty boxes). */
function checkFonts(): void {
  for (const [language, debianPackage] of Object.entries(FONTS_NEEDED)) {
    let fonts: string;
    try {
      fonts = execFileSync('fc-list', [`:lang=${language}`], { encoding: 'utf8' });
    } catch {
      fonts = '';
    }
    if (fonts.trim() === '') throw new Error(`No font for ${LANGUAGE_NAMES[language as keyof typeof LANGUAGE_NAMES]} (${language}): install one first, e.g. apt-get install ${debianPackage}`);
  }
}

async function main(): Promise<void> {
  checkFonts();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-screenshots-'));
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const config = loadConfig({ DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' }, dir);
  const logger = createLogger(config.logLevel);
  const services = await openServices(config, systemClock, logger);
  const listener = createApp({ config, clock: systemClock, logger, ...services });
  server.on('request', listener);
  const browser = await launchChromium();
  try {
    const redirectUri = 'https://wiki.example.org/callback';
    const { client } = await createClient(
      { store: services.store, clock: systemClock, passwordMinLength: config.passwordMinLength, actor: 'screenshots', config },
      { name: APPLICATION, redirectUris: [redirectUri] },
    );
    /** A fresh authorization request (each pending sign-in is used by one page), in `language`. */
    const loginUrl = (language: string) => {
      const verifier = randomBytes(32).toString('base64url');
      const url = new URL(`${config.issuer}/authorize`);
      for (const [name, value] of Object.entries({
        client_id: client.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid email profile',
        state: randomBytes(16).toString('base64url'),
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        ui_locales: language,
      }))
        url.searchParams.set(name, value);
      return url.href;
    };

    mkdirSync(OUTPUT, { recursive: true });
    const shots: { file: string; language: string; options: BrowserContextOptions }[] = [
      ...LANGUAGES.map((language) => ({ file: `login-${language}.png`, language, options: { colorScheme: 'light' as const } })),
      { file: 'login-dark.png', language: 'en', options: { colorScheme: 'dark' as const } },
    ];
    for (const shot of shots) {
      const context = await browser.newContext({ ...shot.options, viewport: VIEWPORT, locale: shot.language, deviceScaleFactor: 1 });
      const page = await context.newPage();
      await page.goto(loginUrl(shot.language));
      await page.waitForURL((url) => url.pathname === '/login');
      const lang = await page.getAttribute('html', 'lang');
      if (lang !== shot.language) throw new Error(`the login page came in ${lang}, not ${shot.language}`);
      // No caret blinking in a focused field: the same pixels on every run.
      await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }).document.activeElement?.blur?.());
      await page.screenshot({ path: path.join(OUTPUT, shot.file), fullPage: true, animations: 'disabled' });
      await context.close();
      console.log(`docs/screenshots/${shot.file}: ${LANGUAGE_NAMES[shot.language as keyof typeof LANGUAGE_NAMES]}${shot.options.colorScheme === 'dark' ? ', dark mode' : ''}`);
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await listener.close();
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
