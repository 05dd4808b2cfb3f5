// The brand's files from our own origin (issue 25): /branding/logo, /branding/favicon and /branding/theme.css,
// from BRAND_* configuration (files, and URLs fetched once by the server) and from the saved brand. Abuse first:
// an SVG logo is served under a policy that runs nothing, every image with the type its bytes were checked to be and
// nosniff; a BRAND_LOGO URL is fetched by the rules of every outgoing request (a special-purpose address refused
// outside development, no redirect followed, nothing but an image taken), and a failure logs a warning and shows
// no logo, never breaking a page. Then: every page links the files with their hash, cached for a year under it and
// revalidated under any other; the theme's dark-mode accent reaches 4.5:1; the base path; a save made by another
// process is seen within the poll interval.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRAND_POLL_MS } from '../../src/branding/brand-service.js';
import { contrastRatio, DARK_CARD, MIN_TEXT_CONTRAST } from '../../src/branding/contrast.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { loopbackServersPerBlock } from '../helpers/loopback-server.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import { brandOf, HTML, ICO, PNG, SCRIPTED_SVG } from './branding-fixtures.js';

const COLOUR = '#0b5d1e';

/** Writes the files into a directory of their own (removed after the block) and returns their paths. */
function brandFiles(files: Record<string, Buffer | string>): Record<string, string> {
  const dir = tempDir();
  afterAll(() => dir.remove());
  mkdirSync(dir.dir, { recursive: true });
  return Object.fromEntries(
    Object.entries(files).map(([name, data]) => {
      const file = path.join(dir.dir, name);
      writeFileSync(file, data);
      return [name, file];
    }),
  );
}

const get = (url: string, headers: Record<string, string> = {}) => new Browser().request(url, { headers });

describe('brand assets (issue 25)', () => {
  describe('from configuration: files', () => {
    const files = brandFiles({ 'logo.svg': SCRIPTED_SVG, 'favicon.ico': ICO, 'extra.css': '.brand-name { letter-spacing: 0.02em; }\n' });
    let app: RunningApp;

    beforeAll(async () => {
      app = await startApp({
        env: { BRAND_NAME: 'Acme Config', BRAND_COLOR: COLOUR.toUpperCase(), BRAND_LOGO: files['logo.svg'] ?? '', BRAND_FAVICON: files['favicon.ico'] ?? '', BRAND_CSS: files['extra.css'] ?? '' },
      });
    });
    afterAll(() => app?.stop());

    it('serves an SVG logo under a policy that lets it run nothing, with its checked type and nosniff, embeddable by mail readers', async () => {
      const { logo } = brandOf(await get(`${app.url}/`));
      const answer = await get(`${app.url}${logo}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('image/svg+xml');
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
      expect(answer.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(answer.body).toBe(SCRIPTED_SVG.toString());
    });

    it('links the name, logo, favicon and theme on every page, each URL carrying its file’s hash', async () => {
      const home = brandOf(await get(`${app.url}/`));
      expect(home.title).toBe('Acme Config');
      expect(home.name).toBe('Acme Config');
      expect(home.logo).toMatch(/^\/branding\/logo\?v=[A-Za-z0-9_-]{16}$/);
      expect(home.favicon).toMatch(/^\/branding\/favicon\?v=[A-Za-z0-9_-]{16}$/);
      expect(home.theme).toMatch(/^\/branding\/theme\.css\?v=[A-Za-z0-9_-]{16}$/);
      const favicon = await get(`${app.url}${home.favicon}`);
      expect(favicon.headers.get('content-type')).toBe('image/x-icon');
      // Only the logo may be embedded elsewhere (mails); the favicon keeps the site-wide same-origin policy.
      expect(favicon.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(favicon.headers.get('content-security-policy')).not.toContain('sandbox');
    });

    it('caches a file for a year under its hash, revalidates it under any other, and answers 304 to its ETag', async () => {
      const { theme } = brandOf(await get(`${app.url}/`));
      const current = await get(`${app.url}${theme}`);
      expect(current.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      for (const other of ['/branding/theme.css', '/branding/theme.css?v=old', '/branding/theme.css?v=']) {
        const answer = await get(`${app.url}${other}`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('cache-control'), other).toBe('no-cache');
        expect(answer.body).toBe(current.body);
      }
      const etag = current.headers.get('etag') ?? '';
      expect(etag).toBe(`"${new URL(theme ?? '', app.url).searchParams.get('v')}"`);
      const again = await get(`${app.url}/branding/theme.css`, { 'If-None-Match': etag });
      expect(again.status).toBe(304);
      expect(again.body).toBe('');
    });

    it('themes the colour in light and dark mode, the dark accent reaching 4.5:1 on the dark card, then appends BRAND_CSS', async () => {
      const { theme } = brandOf(await get(`${app.url}/`));
      const answer = await get(`${app.url}${theme}`);
      expect(answer.headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect(answer.body).toContain(`:root {\n  --accent: ${COLOUR};\n  --on-accent: #ffffff;\n}`);
      const dark = /@media \(prefers-color-scheme: dark\) \{\n {2}:root \{\n {4}--accent: (#[0-9a-f]{6});\n {4}--on-accent: (#[0-9a-f]{6});/.exec(answer.body);
      expect(dark).not.toBeNull();
      expect(contrastRatio(dark?.[1] ?? '', DARK_CARD)).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      expect(contrastRatio(dark?.[1] ?? '', dark?.[2] ?? '')).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
      expect(answer.body.indexOf('.brand-name { letter-spacing: 0.02em; }')).toBeGreaterThan(answer.body.indexOf('--on-accent'));
    });

    it('puts the brand on the error pages too', async () => {
      const missing = await get(`${app.url}/no-such-page`);
      expect(missing.status).toBe(404);
      expect(brandOf(missing).name).toBe('Acme Config');
    });
  });

  describe('with nothing configured', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp();
    });
    afterAll(() => app?.stop());

    it('shows Gatehouse, links no logo, favicon or theme, and /branding answers 404', async () => {
      const home = await get(`${app.url}/`);
      expect(brandOf(home)).toEqual({ title: 'Gatehouse', name: 'Gatehouse', logo: null, favicon: null, theme: null });
      for (const file of ['logo', 'favicon', 'theme.css']) expect((await get(`${app.url}/branding/${file}`)).status, file).toBe(404);
    });
  });

  describe('from configuration: URLs, fetched once by the server', () => {
    const server = loopbackServersPerBlock('/brand/logo.png');

    it('fetches BRAND_LOGO once and serves it from our origin', async () => {
      const upstream = await server((res) => {
        res.writeHead(200, { 'Content-Type': 'image/png' }).end(PNG);
      });
      const app = await startApp({ env: { BRAND_LOGO: upstream.url } });
      try {
        const pages = [await get(`${app.url}/`), await get(`${app.url}/`), await get(`${app.url}/no-such-page`)];
        const logos = pages.map((page) => brandOf(page).logo);
        expect(logos[0]).toMatch(/^\/branding\/logo\?v=/);
        expect(new Set(logos).size).toBe(1);
        const logo = await new Browser().request(`${app.url}${logos[0]}`);
        expect(logo.headers.get('content-type')).toBe('image/png');
        expect(Buffer.from(await (await fetch(`${app.url}${logos[0]}`)).arrayBuffer()).equals(PNG)).toBe(true);
        expect(upstream.requests).toBe(1);
      } finally {
        await app.stop();
      }
    });

    it('shows no logo and logs a warning when the URL answers an error, a redirect, or something that is no image — pages still work', async () => {
      const answers: ((res: import('node:http').ServerResponse) => void)[] = [
        (res) => res.writeHead(404).end('not here'),
        (res) => res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end(),
        (res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(HTML),
        (res) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(Buffer.concat([PNG, Buffer.alloc(600 * 1024)])),
      ];
      for (const answer of answers) {
        const upstream = await server(answer);
        const app = await startApp({ env: { BRAND_LOGO: `${upstream.url}?token=secret-in-query` } });
        try {
          const home = await get(`${app.url}/`);
          expect(home.status).toBe(200);
          expect(brandOf(home).logo).toBeNull();
          expect((await get(`${app.url}/branding/logo`)).status).toBe(404);
          const warnings = app.logs.filter((line) => line.msg === 'the brand image could not be fetched; pages show no logo');
          expect(warnings).toHaveLength(1);
          expect(warnings[0]).toMatchObject({ level: 40, variable: 'BRAND_LOGO', url: upstream.url });
          expect(JSON.stringify(app.logs)).not.toContain('secret-in-query');
          expect(upstream.requests).toBe(1);
        } finally {
          await app.stop();
        }
      }
    });

    it('sends no request to a special-purpose address outside development (ALLOW_PRIVATE_CLIENT_URLS=false)', async () => {
      const upstream = await server((res) => res.writeHead(200).end(PNG));
      const app = await startApp({ env: { BRAND_LOGO: upstream.url, ALLOW_PRIVATE_CLIENT_URLS: 'false' } });
      try {
        expect(brandOf(await get(`${app.url}/`)).logo).toBeNull();
        expect(app.logs.find((line) => line.variable === 'BRAND_LOGO')).toMatchObject({ problem: 'could not be fetched (refused_address)' });
        expect(upstream.connections).toBe(0);
      } finally {
        await app.stop();
      }
    });
  });

  describe('under a base path, and a save by another process', () => {
    const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp({ basePath: '/idp', clock, env: { BRAND_NAME: 'Configured' } });
    });
    afterAll(() => app?.stop());

    it('links the files under the base path, and sees a save made elsewhere once the poll interval has passed', async () => {
      expect(brandOf(await get(`${app.url}/`)).name).toBe('Configured');
      // Another process (an import, a second server) saves: this one reads it within the poll interval, not before.
      const saved = await app.store.branding.save({ name: 'Saved Elsewhere', logo: { contentType: 'image/png', data: PNG } }, await app.store.branding.version(), null, clock.now());
      expect(saved).not.toBeNull();
      expect(brandOf(await get(`${app.url}/`)).name).toBe('Configured');
      clock.advance(BRAND_POLL_MS);
      const home = brandOf(await get(`${app.url}/`));
      expect(home.name).toBe('Saved Elsewhere');
      expect(home.logo).toMatch(/^\/idp\/branding\/logo\?v=/);
      const logo = await get(`${app.url.replace(/\/idp$/, '')}${home.logo}`);
      expect(logo.status).toBe(200);
      expect(logo.headers.get('content-type')).toBe('image/png');
    });
  });
});
