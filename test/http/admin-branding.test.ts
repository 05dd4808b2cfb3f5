// The admin Branding screen (issue 25): the organisation's name, colour, logo, favicon and extra CSS, saved over the
// BRAND_* configuration. Abuse first: who may see and save (anonymous visitors, non-administrators, a POST without
// this session's CSRF token, multipart or not, a stale sign-in without its password), each writing nothing; refused
// changes (a colour below WCAG AA contrast with the ratio said, a file that is no image, one too large, a stylesheet
// too long, a file chosen with "use the configured one", a save over another administrator's) come back with the
// reason and write nothing. Then: a save reaches every page at once, is audited without the images' bytes, and
// "use the configuration" goes back field by field; the live preview's stylesheet and markup; the admin pages'
// own head under the brand; people's names in any script on the admin lists (<bdi>).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrandingRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { expectAnonymousSentToLogin, expectNonAdminRefused, expectStrictAdminPage, signedInNonAdmin } from './admin-access-checks.js';
import { asStaleAdmin, eventsSince, lastEventId, noticeOf, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';
import { brandOf, GIF, HTML, PNG, SVG } from './branding-fixtures.js';

/** A colour that passes (8.5:1 on white) and one that does not (yellow: 1.01:1 on the page background). */
const GOOD = '#1a4d8f';
const YELLOW = '#ffff00';

interface Upload {
  fields?: Record<string, string>;
  files?: Partial<Record<'logo' | 'favicon', { data: Buffer; name?: string; type?: string }>>;
  /** The CSRF token to send: this session's by default, none with null. */
  csrf?: string | null;
  /** The version the form was made on: the saved one by default. */
  version?: string;
}

/** The version the Branding page's form carries. */
const versionOn = (page: Page): string => /name="version" value="(\d+)"/.exec(page.body)?.[1] ?? '';
const errorSummary = (page: Page): string => /<div class="alert" role="alert" id="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(page.body)?.[1] ?? '';
const fieldError = (page: Page, id: string): string | null => new RegExp(`<p class="field-error" id="${id}-error">([^<]*)</p>`).exec(page.body)?.[1] ?? null;

describe('admin: the Branding screen (issue 25)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let serial = 0;
  const unique = (prefix: string) => `${prefix}-${(serial += 1)}.${process.pid}@example.com`;

  beforeAll(async () => {
    app = await startApp({ clock, env: { BRAND_NAME: 'Configured Co' } });
    admin = await signedInAdmin(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Posts the Branding form as a browser does (multipart/form-data), as `who`. */
  async function postBranding(who: SignedInAdmin, upload: Upload = {}): Promise<Page> {
    const body = new FormData();
    const csrf = upload.csrf === undefined ? await who.csrf() : upload.csrf;
    if (csrf !== null) body.set('csrf', csrf);
    body.set('version', upload.version ?? versionOn(await who.page('/admin/branding')));
    for (const [name, value] of Object.entries({ name: '', color: '', css: '', ...upload.fields })) body.set(name, value);
    for (const [name, file] of Object.entries(upload.files ?? {})) {
      body.set(name, new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.name ?? `${name}.bin`);
    }
    return who.browser.request(`${app.url}/admin/branding`, { method: 'POST', body });
  }

  const saved = (): Promise<BrandingRecord | null> => app.store.branding.get();

  /** What a save changes: the saved version, and the number of branding.updated events. */
  const state = async () => ({ version: await app.store.branding.version(), events: await app.store.audit.count({ type: 'branding.updated' }) });

  /** Expects the answer to be the form again, `status`, and nothing written (no new version, no event). */
  async function expectRefused(answer: Page, status: number, before: { version: number; events: number }): Promise<void> {
    expect(answer.status, answer.body.slice(0, 300)).toBe(status);
    expect(answer.body).toContain('<strong>Nothing was saved.</strong>');
    expect(await state()).toEqual(before);
  }

  describe('who may see and save', () => {
    const routes = [
      { method: 'GET' as const, path: '/admin/branding' },
      { method: 'GET' as const, path: '/admin/branding/preview.css?color=%231a4d8f' },
      { method: 'POST' as const, path: '/admin/branding', form: { name: 'Hijacked', color: '', css: '', version: '0' }, sensitive: true },
    ];

    it('sends anonymous visitors to the login page and refuses non-administrators, writing nothing', async () => {
      const before = await state();
      await expectAnonymousSentToLogin(app, routes);
      await expectNonAdminRefused(app, await signedInNonAdmin(app, unique('plain')), routes);
      // A multipart POST from a browser without a session is sent to the login page too.
      const body = new FormData();
      body.set('name', 'Hijacked');
      const anonymous = await new Browser().request(`${app.url}/admin/branding`, { method: 'POST', body });
      expect(anonymous.status).toBe(303);
      expect(await state()).toEqual(before);
    });

    it('refuses a POST without this session’s CSRF token, multipart or url-encoded, writing nothing', async () => {
      const before = await state();
      const other = await signedInAdmin(app, unique('other-admin'));
      for (const csrf of [null, '', 'forged', await other.csrf()]) {
        const answer = await postBranding(admin, { csrf, fields: { name: 'Hijacked' }, files: { logo: { data: PNG } } });
        expect(answer.status).toBe(403);
        expect(answer.body).toContain('did not come from this site');
        const encoded = await admin.browser.postForm(`${app.url}/admin/branding`, { ...(csrf === null ? {} : { csrf }), name: 'Hijacked', version: '0' });
        expect(encoded.status).toBe(403);
      }
      expect(await state()).toEqual(before);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password, on the form itself, and saves once it is given', async () => {
      const before = await state();
      await asStaleAdmin(app, clock, unique('stale'), async (stale) => {
        const page = await stale.page('/admin/branding');
        expect(page.body).toContain('name="confirm_password"');
        const missing = await postBranding(stale, { fields: { name: 'Stale Co' }, files: { logo: { data: PNG } } });
        await expectRefused(missing, 403, before);
        expect(errorSummary(missing)).toContain('enter your password to save the branding');
        // The chosen files cannot be kept by a page: it says so.
        expect(errorSummary(missing)).toContain('choose them again');
        expect(missing.body).toMatch(/<input id="name" name="name" type="text" value="Stale Co"/);
        const wrong = await postBranding(stale, { fields: { name: 'Stale Co', confirm_password: 'not the password' } });
        await expectRefused(wrong, 403, before);
        expect(errorSummary(wrong)).toContain('That password is not correct.');
        const right = await postBranding(stale, { fields: { name: 'Stale Co', confirm_password: PASSWORD } });
        expect(right.status).toBe(303);
        expect((await saved())?.name).toBe('Stale Co');
      });
      // Back to the configuration's name for the tests that follow.
      expect((await postBranding(admin, { fields: { name: '' } })).status).toBe(303);
    });
  });

  describe('the page', () => {
    it('is a strict admin page in the navigation, with a labelled multipart form and a live preview', async () => {
      const page = await admin.page('/admin/branding');
      expectStrictAdminPage(page, '/admin/branding');
      expect(page.body).toContain('<a href="/admin/branding" aria-current="page">Branding</a>');
      expect(page.body).toContain('<h1>Branding</h1>');
      expect(page.body).toMatch(/<form method="post" action="\/admin\/branding" class="form" enctype="multipart\/form-data">/);
      for (const id of ['name', 'color', 'color-picker', 'logo', 'favicon', 'css']) {
        expect(page.body, id).toContain(`<label for="${id}">`);
        expect(page.body, id).toMatch(new RegExp(`<(input|textarea) id="${id}"`));
      }
      expect(page.body).toContain('<input id="color-picker" type="color"');
      // The preview: a stylesheet link the script points at what is typed, and the script from our origin.
      expect(page.body).toContain('<link rel="stylesheet" href="/admin/branding/preview.css" data-brand-preview-style data-base="/admin/branding/preview.css">');
      expect(page.body).toContain('<script src="/static/admin-branding.js" defer></script>');
      expect(page.body).toContain('<bdi data-brand-preview-name>Configured Co</bdi>');
      // What each empty field falls back to.
      expect(page.body).toContain('Empty: <bdi>Configured Co (BRAND_NAME)</bdi>.');
    });

    it('serves the preview stylesheet for a colour it would accept, scoped to the mock card, and no colour for one it refuses', async () => {
      const good = await admin.browser.get(`${app.url}/admin/branding/preview.css?color=${encodeURIComponent(GOOD)}`);
      expect(good.status).toBe(200);
      expect(good.headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect(good.headers.get('cache-control')).toBe('no-store');
      expect(good.body).toContain(`.brand-preview {\n  --accent: ${GOOD};`);
      expect(good.body).toMatch(/@media \(prefers-color-scheme: dark\) \{\n {2}\.brand-preview \{\n {4}--accent: #[0-9a-f]{6};/);
      expect(good.body).not.toContain(':root');
      for (const refused of [YELLOW, 'red', '#12345', '";}body{display:none}']) {
        const answer = await admin.browser.get(`${app.url}/admin/branding/preview.css?color=${encodeURIComponent(refused)}`);
        expect(answer.status).toBe(200);
        expect(answer.body).not.toContain('--accent:');
        expect(answer.body).not.toContain('display:none');
      }
    });

    it('previews a colour already typed on a refused form: the stylesheet link carries it', async () => {
      const answer = await postBranding(admin, { fields: { color: '#0B5D1E', name: 'x'.repeat(61) } });
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('href="/admin/branding/preview.css?color=%230b5d1e" data-brand-preview-style');
    });
  });

  describe('saving', () => {
    it('saves the name, colour, logo, favicon and CSS: every page shows them at once, audited without the images’ bytes', async () => {
      const before = await lastEventId(app);
      const answer = await postBranding(admin, {
        fields: { name: 'Acme Corp', color: '#1A4D8F', css: '.card { border: 2px solid var(--accent); }\r\n' },
        files: { logo: { data: PNG, name: 'logo.png', type: 'image/png' }, favicon: { data: GIF, name: 'favicon.gif', type: 'text/html' } },
      });
      expect(answer.status, answer.body.slice(0, 500)).toBe(303);
      expect(new URL(answer.location ?? '').search).toBe('?done=saved');
      const row = await saved();
      expect(row).toMatchObject({ name: 'Acme Corp', color: GOOD, css: '.card { border: 2px solid var(--accent); }\n', updatedBy: admin.user.id });
      // The type is the bytes', whatever the browser claimed.
      expect(row?.logo?.contentType).toBe('image/png');
      expect(row?.logo?.data.equals(PNG)).toBe(true);
      expect(row?.favicon?.contentType).toBe('image/gif');

      const events = (await eventsSince(app, before)).filter((event) => event.type === 'branding.updated');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor: admin.user.id, outcome: 'success' });
      expect(events[0]?.details).toMatchObject({
        changed: ['name', 'color', 'logo', 'favicon', 'css'],
        name: 'Acme Corp',
        color: GOOD,
        logo: { type: 'image/png', bytes: PNG.length },
        favicon: { type: 'image/gif', bytes: GIF.length },
      });
      expect(JSON.stringify(events[0]?.details)).not.toContain(PNG.toString('base64').slice(0, 20));

      const notice = await admin.page('/admin/branding?done=saved');
      expect(noticeOf(notice)).toBe('The branding was saved. Every page and mail shows it now.');
      expect(notice.body).toContain(`<code>${GOOD}</code>, contrast`);
      expect(notice.body).toContain('the uploaded logo (PNG, 1 KiB)');

      // A person's page, at once (no wait for the cache's poll).
      const home = await new Browser().get(`${app.url}/`);
      const brand = brandOf(home);
      expect(brand.title).toBe('Acme Corp');
      expect(brand.name).toBe('Acme Corp');
      expect(brand.logo).toMatch(/^\/branding\/logo\?v=[A-Za-z0-9_-]{16}$/);
      expect(brand.favicon).toMatch(/^\/branding\/favicon\?v=/);
      expect(brand.theme).toMatch(/^\/branding\/theme\.css\?v=/);
      const logo = await new Browser().get(`${app.url}${brand.logo}`);
      expect(logo.headers.get('content-type')).toBe('image/png');
      const theme = await new Browser().get(`${app.url}${brand.theme}`);
      expect(theme.body).toContain(`--accent: ${GOOD};`);
      expect(theme.body).toContain('.card { border: 2px solid var(--accent); }');

      // The admin pages' own head: the brand's name, logo and favicon (the pages stay English).
      const dashboard = await admin.page('/admin');
      expect(dashboard.body).toContain('<title>Dashboard · Acme Corp admin</title>');
      expect(dashboard.body).toContain(`<a class="brand" href="/admin"><img class="brand-logo" src="${brand.logo}" alt="" height="32"> <bdi>Acme Corp</bdi> <span class="muted">admin</span></a>`);
      expect(dashboard.body).toContain(`<link rel="icon" href="${brand.favicon}">`);
      expect(dashboard.body).toContain('<html lang="en">');
    });

    it('says so and writes nothing when the form holds the saved branding', async () => {
      const before = await state();
      const row = await saved();
      const answer = await postBranding(admin, { fields: { name: row?.name ?? '', color: row?.color ?? '', css: row?.css ?? '' } });
      expect(answer.status).toBe(303);
      expect(new URL(answer.location ?? '').search).toBe('?done=unchanged');
      expect(await state()).toEqual(before);
    });

    it('refuses a colour below WCAG AA contrast with the ratio measured, writing nothing', async () => {
      const before = await state();
      const answer = await postBranding(admin, { fields: { name: 'Acme Corp', color: YELLOW } });
      await expectRefused(answer, 400, before);
      expect(fieldError(answer, 'color')).toBe(
        'The colour has a contrast of 1.01:1 against the page and the buttons&#39; white text, below the 4.5:1 WCAG AA requires for text; choose a darker colour.',
      );
      expect(answer.body).toMatch(/<input id="color" name="color" type="text" value="#ffff00"[^>]*aria-invalid="true"/);
      expect(errorSummary(answer)).toContain('<a href="#color">The colour has a contrast of 1.01:1');
      // Not a colour at all.
      const malformed = await postBranding(admin, { fields: { color: 'blue' } });
      await expectRefused(malformed, 400, before);
      expect(fieldError(malformed, 'color')).toBe('The colour must be a colour written #rrggbb.');
    });

    it('refuses a file that is no image, whatever its name and type say, and one too large, writing nothing', async () => {
      const before = await state();
      const html = await postBranding(admin, { files: { logo: { data: HTML, name: 'logo.png', type: 'image/png' } } });
      await expectRefused(html, 400, before);
      expect(fieldError(html, 'logo')).toBe('The logo is not a PNG, JPEG, GIF, WebP, SVG or ICO image.');
      const large = await postBranding(admin, { files: { favicon: { data: Buffer.concat([PNG, Buffer.alloc(513 * 1024)]) } } });
      await expectRefused(large, 400, before);
      expect(fieldError(large, 'favicon')).toBe('The favicon is larger than 512 KiB.');
      const extra = await postBranding(admin, { files: { logo: { data: PNG } }, fields: { name: 'x' } });
      expect(extra.status).toBe(303);
      // A third file field is not the form's.
      const body = new FormData();
      body.set('csrf', await admin.csrf());
      body.set('version', versionOn(await admin.page('/admin/branding')));
      body.set('banner', new Blob([PNG]), 'banner.png');
      const unexpected = await admin.browser.request(`${app.url}/admin/branding`, { method: 'POST', body });
      expect(unexpected.status).toBe(400);
      expect(errorSummary(unexpected)).toContain('The form sent a file it does not take');
      await postBranding(admin, { fields: { name: 'Acme Corp' } });
    });

    it('refuses a name that is not one short line, a stylesheet over 64 KiB, and a file chosen with “use the configured one”', async () => {
      const before = await state();
      for (const name of ['x'.repeat(61), 'Two\nlines', 'Acme\u202eevil']) {
        const answer = await postBranding(admin, { fields: { name } });
        await expectRefused(answer, 400, before);
        expect(fieldError(answer, 'name')).toBe('The name must be one line of at most 60 characters.');
      }
      const css = await postBranding(admin, { fields: { css: `/* ${'x'.repeat(65 * 1024)} */` } });
      await expectRefused(css, 400, before);
      expect(fieldError(css, 'css')).toBe('The extra CSS is longer than 64 KiB.');
      const huge = await postBranding(admin, { fields: { css: 'x'.repeat(200 * 1024) } });
      await expectRefused(huge, 400, before);
      expect(fieldError(huge, 'css')).toBe('The extra CSS is longer than 64 KiB.');
      const both = await postBranding(admin, { fields: { logo_default: 'on' }, files: { logo: { data: PNG } } });
      await expectRefused(both, 400, before);
      expect(fieldError(both, 'logo')).toBe('Choose a new logo or the configured one, not both.');
    });

    it('refuses a save made on a version another administrator saved over, writing nothing, and shows theirs', async () => {
      const other = await signedInAdmin(app, unique('second-admin'));
      const seen = versionOn(await admin.page('/admin/branding'));
      expect(versionOn(await other.page('/admin/branding'))).toBe(seen);
      const first = await postBranding(other, { fields: { name: 'Theirs Inc', color: GOOD }, version: seen });
      expect(first.status).toBe(303);
      const before = await state();
      const second = await postBranding(admin, { fields: { name: 'Mine Ltd', color: GOOD }, version: seen });
      await expectRefused(second, 409, before);
      expect(errorSummary(second)).toContain('Another administrator saved the branding after you opened this page.');
      expect(second.body).toMatch(/<input id="name" name="name" type="text" value="Theirs Inc"/);
      expect(versionOn(second)).toBe(String(before.version));
      expect((await saved())?.name).toBe('Theirs Inc');
      // A form without a version is not this page's.
      const none = await postBranding(admin, { fields: { name: 'Mine Ltd' }, version: '' });
      await expectRefused(none, 400, before);
    });

    it('of two administrators saving the same version at the same moment, lets exactly one win', async () => {
      const other = await signedInAdmin(app, unique('racing-admin'));
      const seen = versionOn(await admin.page('/admin/branding'));
      const before = await state();
      const answers = await Promise.all([postBranding(admin, { fields: { name: 'Race A' }, version: seen }), postBranding(other, { fields: { name: 'Race B' }, version: seen })]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([303, 409]);
      const winner = answers[0]?.status === 303 ? 'Race A' : 'Race B';
      expect(await state()).toEqual({ version: before.version + 1, events: before.events + 1 });
      expect((await saved())?.name).toBe(winner);
    });

    it('goes back to the configuration field by field: an empty field, and the box of an uploaded image', async () => {
      expect((await postBranding(admin, { fields: { name: 'Acme Corp', color: GOOD }, files: { logo: { data: SVG }, favicon: { data: PNG } } })).status).toBe(303);
      const page = await admin.page('/admin/branding');
      expect(page.body).toContain('<input id="logo_default" name="logo_default" type="checkbox" value="on">');
      const before = await lastEventId(app);
      const answer = await postBranding(admin, { fields: { name: '', color: GOOD, logo_default: 'on' } });
      expect(answer.status).toBe(303);
      const row = await saved();
      expect(row).toMatchObject({ name: null, color: GOOD, logo: null });
      expect(row?.favicon?.contentType).toBe('image/png');
      const [event] = (await eventsSince(app, before)).filter((e) => e.type === 'branding.updated');
      expect(event?.details).toMatchObject({ changed: ['name', 'logo'], name: null, logo: null });
      const home = brandOf(await new Browser().get(`${app.url}/`));
      expect(home.name).toBe('Configured Co');
      expect(home.logo).toBeNull();
      expect(home.favicon).not.toBeNull();
    });

    it('shows a name that is markup as text, on the people’s pages and the admin’s', async () => {
      expect((await postBranding(admin, { fields: { name: XSS } })).status).toBe(303);
      const home = await new Browser().get(`${app.url}/`);
      expect(home.body).not.toContain(XSS);
      expect(home.body).toContain(`<span class="brand-name">${XSS_ESCAPED}</span>`);
      const page = await admin.page('/admin/branding');
      expect(page.body).not.toContain(XSS);
      expect(page.body).toContain(`<bdi>${XSS_ESCAPED}</bdi> <span class="muted">admin</span>`);
      expect((await postBranding(admin, { fields: { name: '' } })).status).toBe(303);
    });
  });

  describe('people’s data in any script on the admin screens', () => {
    it('isolates Arabic and Japanese names on the users list and the user page (<bdi>, dir="auto" inputs)', async () => {
      const arabic = await addUser(app, unique('arabic'), { name: 'ليلى الحسن' });
      const japanese = await addUser(app, unique('japanese'), { name: '山田 花子' });
      const list = await admin.page('/admin/users?q=.' + process.pid);
      expect(list.body).toContain('<td><bdi>ليلى الحسن</bdi></td>');
      expect(list.body).toContain('<td><bdi>山田 花子</bdi></td>');
      expect(list.body).toContain(`<td><a href="/admin/users/${arabic.id}">${arabic.email}</a></td>`);
      const page = await admin.page(`/admin/users/${japanese.id}`);
      expect(page.body).toContain(`<h1><bdi>${japanese.email}</bdi> `);
      expect(page.body).toContain('<dt>Name</dt><dd><bdi>山田 花子</bdi></dd>');
      expect(page.body).toMatch(/<input id="name" name="name" type="text" value="山田 花子"[^>]* dir="auto"/);
    });
  });
});
