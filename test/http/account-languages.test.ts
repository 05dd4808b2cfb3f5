// Issue 25 on the account page: the page in the person's saved language (above Accept-Language; the switcher's
// cookie above both), the layout every page a person sees has (lang, dir, the brand, a skip link, the language
// switcher last, the time-zone script), "Language and region" (saved on the account, CSRF-checked, audited,
// refused with nothing written), dates in the person's time zone, and the mails sent from the page in the saved
// language, else in the page's.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import { PASSWORD } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { Page } from '../helpers/browser.js';
import { lastEventId, newPerson, signedInPerson, type SignedInPerson } from './account-helpers.js';

const LANGUAGE_COOKIE = 'gatehouse_language';
const TIME_ZONE_COOKIE = 'gatehouse_time_zone';

describe('account page: languages, region and brand (issue 25)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ env: { BRAND_NAME: 'Acme Login' } });
  });
  afterAll(() => app?.stop());

  /** GET /account as this browser, with an Accept-Language header when given. */
  async function accountPage(person: SignedInPerson, acceptLanguage?: string, path = '/account'): Promise<Page> {
    const page = await person.browser.request(`${app.url}${path}`, { headers: acceptLanguage ? { 'Accept-Language': acceptLanguage } : {} });
    expect(page.status, page.body).toBe(200);
    return page;
  }

  async function personWith(label: string, preferences: { locale?: string | null; timeZone?: string | null } = {}): Promise<SignedInPerson> {
    const user = await newPerson(app, label);
    const person = await signedInPerson(app, user);
    if (preferences.locale !== undefined || preferences.timeZone !== undefined) {
      await app.store.users.update(user.id, { locale: preferences.locale ?? null, timeZone: preferences.timeZone ?? null }, app.clock.now());
    }
    return person;
  }

  const htmlTag = (page: Page) => /<html[^>]*>/.exec(page.body)?.[0] ?? '';

  describe('the language of the page', () => {
    it('follows Accept-Language when nothing is saved', async () => {
      const person = await personWith('accept');
      const page = await accountPage(person, 'fr-CH, en;q=0.5');
      expect(htmlTag(page)).toBe('<html lang="fr" dir="ltr">');
      expect(page.body).toContain('<h1>Votre compte</h1>');
      expect(page.body).toContain('<title>Votre compte · Acme Login</title>');
    });

    it('puts the saved language above Accept-Language, on every account page', async () => {
      const person = await personWith('saved', { locale: 'de' });
      const page = await accountPage(person, 'fr');
      expect(htmlTag(page)).toBe('<html lang="de" dir="ltr">');
      expect(page.body).toContain('<h1>Ihr Konto</h1>');
      expect(page.body).toContain('Zwei-Schritt-Verifizierung');
      // The two-factor set-up page too.
      await person.post('/account/two-factor/setup', { current_password: PASSWORD });
      const setup = await accountPage(person, 'fr', '/account/two-factor');
      expect(htmlTag(setup)).toBe('<html lang="de" dir="ltr">');
      expect(setup.body).toContain('<h1>Authenticator-App einrichten</h1>');
    });

    it('lets the switcher’s cookie on this browser win over the saved language', async () => {
      const person = await personWith('cookie', { locale: 'de' });
      person.browser.setCookie(app.url, LANGUAGE_COOKIE, 'es');
      const page = await accountPage(person, 'fr');
      expect(htmlTag(page)).toBe('<html lang="es" dir="ltr">');
      expect(page.body).toContain('<h1>Su cuenta</h1>');
    });

    it('writes Arabic right to left, with the Arabic texts', async () => {
      const person = await personWith('arabic', { locale: 'ar' });
      const page = await accountPage(person);
      expect(htmlTag(page)).toBe('<html lang="ar" dir="rtl">');
      expect(page.body).toContain('<h1>حسابك</h1>');
      expect(page.body).toContain('اللغة والمنطقة');
    });

    it('says the security events and the refusals in the page’s language', async () => {
      const person = await personWith('events', { locale: 'de' });
      const refused = await person.post('/account/email', { email: 'new.address@example.com', current_password: 'not the password' });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain('Das ist nicht Ihr aktuelles Passwort.');
      const page = await accountPage(person);
      expect(page.body).toContain('<h2 id="events-heading">Letzte Sicherheitsereignisse</h2>');
      expect(page.body).toContain('Falsches aktuelles Passwort auf dieser Seite eingegeben');
      expect(page.body).toContain('Konto erstellt');
    });
  });

  describe('the layout', () => {
    it('has the brand, a skip link to the main content, the time-zone script, and the language switcher last', async () => {
      const person = await personWith('layout');
      const page = await accountPage(person);
      expect(page.body).toContain('<a class="skip-link" href="#main">Skip to main content</a>');
      expect(page.body).toContain('<main class="account-page" id="main">');
      expect(page.body).toContain('<span class="brand-name">Acme Login</span>');
      expect(page.body).toContain(`<script src="/static/time-zone.js" data-cookie="${TIME_ZONE_COOKIE}" defer></script>`);
      // The switcher is the page's last form, in the footer, so the page's own forms come first.
      const footer = page.body.slice(page.body.indexOf('<footer class="site-footer">'));
      expect(footer).toContain('<form method="post" action="/language" class="language-switcher">');
      expect(page.body.lastIndexOf('<form')).toBe(page.body.indexOf('<form method="post" action="/language"'));
      expect(footer).toContain('<option value="ja" lang="ja">日本語</option>');
      // Still one h1, and no inline script or style.
      expect(page.body.match(/<h1\b/g)).toHaveLength(1);
      expect(page.body).not.toMatch(/<script>|<style|\sstyle=/);
    });

    it('shows dates in the saved time zone, else in the browser’s (the time-zone cookie), else in UTC', async () => {
      const person = await personWith('zones');
      const sessionsOf = (page: Page) => page.body.slice(page.body.indexOf('id="sessions-heading"'));
      expect(sessionsOf(await accountPage(person))).toMatch(/<time datetime="[^"]+">[^<]+ UTC<\/time>/);
      person.browser.setCookie(app.url, TIME_ZONE_COOKIE, 'America/New_York');
      expect(sessionsOf(await accountPage(person))).toMatch(/<time datetime="[^"]+">[^<]+ (EST|EDT)<\/time>/);
      // A cookie Intl does not know is no time zone.
      person.browser.setCookie(app.url, TIME_ZONE_COOKIE, 'Mars/Olympus_Mons');
      expect(sessionsOf(await accountPage(person))).toMatch(/<time datetime="[^"]+">[^<]+ UTC<\/time>/);
      await app.store.users.update(person.user.id, { timeZone: 'Asia/Tokyo', locale: 'ja' }, app.clock.now());
      expect(sessionsOf(await accountPage(person))).toMatch(/<time datetime="[^"]+">\d{4}\/\d{2}\/\d{2} \d{1,2}:\d{2} JST<\/time>/);
    });
  });

  describe('Language and region', () => {
    it('offers every language in its own name and the time zones, with the saved ones chosen', async () => {
      const person = await personWith('offer', { locale: 'fr', timeZone: 'Europe/Paris' });
      const page = await accountPage(person);
      const section = page.body.slice(page.body.indexOf('id="preferences-heading"'), page.body.indexOf('</section>', page.body.indexOf('id="preferences-heading"')));
      expect(section).toContain('<label for="preferences-language">Langue</label>');
      expect(section).toContain('<option value="fr" lang="fr" selected>Français</option>');
      expect(section).toContain('<option value="ar" lang="ar">العربية</option>');
      expect(section).toContain('<label for="preferences-time-zone">Fuseau horaire</label>');
      expect(section).toContain('<option value="Europe/Paris" selected>Europe/Paris</option>');
      expect(section).toContain('<option value="America/New_York">America/New York</option>');
      expect(section).toContain('<option value="UTC">UTC</option>');
    });

    it('saves a language and a time zone on the account, audited, and the page follows them', async () => {
      const person = await personWith('save');
      const before = await lastEventId(app);
      const answer = await person.post('/account/preferences', { lang: 'ja', time_zone: 'Asia/Tokyo' });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/account?done=preferences-saved`);
      expect(await app.store.users.findById(person.user.id)).toMatchObject({ locale: 'ja', timeZone: 'Asia/Tokyo' });
      // This browser shows the language just saved, whatever the switcher said before.
      expect(person.browser.cookie(app.url, LANGUAGE_COOKIE)).toBe('ja');
      const [event] = await app.store.audit.list({ limit: 1 });
      expect(event?.id).toBeGreaterThan(before);
      expect(event).toMatchObject({
        type: 'user.preferences_changed',
        actor: person.user.id,
        subject: person.user.id,
        details: { changed: ['locale', 'time_zone'], locale: 'ja', time_zone: 'Asia/Tokyo' },
      });
      const page = await accountPage(person, 'en', '/account?done=preferences-saved');
      expect(htmlTag(page)).toBe('<html lang="ja" dir="ltr">');
      expect(page.body).toContain('言語と地域を保存しました。');
      expect(page.body).toContain('言語と地域の変更');
      expect(page.body).toContain('現在、時刻は Asia/Tokyo で表示されています。');
    });

    it('clears the time zone with “this browser’s”, and answers an unchanged form with “Nothing changed”', async () => {
      const person = await personWith('clear', { locale: 'en', timeZone: 'Europe/Berlin' });
      expect((await person.post('/account/preferences', { lang: 'en', time_zone: '' })).location).toBe(`${app.url}/account?done=preferences-saved`);
      expect((await app.store.users.findById(person.user.id))?.timeZone).toBeNull();
      const before = await lastEventId(app);
      expect((await person.post('/account/preferences', { lang: 'en', time_zone: '' })).location).toBe(`${app.url}/account?done=unchanged`);
      expect(await lastEventId(app)).toBe(before);
    });

    it.each([
      ['a language we do not ship', { lang: 'xx', time_zone: 'UTC' }, 'preferences-language', 'Choose one of the languages in the list.'],
      ['no language', { lang: '', time_zone: 'UTC' }, 'preferences-language', 'Choose one of the languages in the list.'],
      ['a time zone that does not exist', { lang: 'de', time_zone: 'Mars/Olympus_Mons' }, 'preferences-time-zone', 'Choose one of the time zones in the list.'],
      ['a zone name with markup', { lang: 'de', time_zone: '<script>' }, 'preferences-time-zone', 'Choose one of the time zones in the list.'],
      ['an alias not in the list', { lang: 'de', time_zone: 'US/Pacific' }, 'preferences-time-zone', 'Choose one of the time zones in the list.'],
    ])('refuses %s (400), the reason beside the field and at the top, writing nothing', async (_name, fields, fieldId, message) => {
      const person = await personWith('refused', { locale: 'en', timeZone: 'Europe/Paris' });
      const before = await lastEventId(app);
      const answer = await person.post('/account/preferences', fields);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain(`<p class="field-error" id="${fieldId}-error">${message}</p>`);
      expect(answer.body).toMatch(new RegExp(`<select id="${fieldId}"[^>]*aria-invalid="true"`));
      expect(answer.body).toMatch(/<div class="error-summary" role="alert" tabindex="-1" autofocus id="account-error">/);
      expect(answer.body).not.toContain('<script>');
      expect(await app.store.users.findById(person.user.id)).toMatchObject({ locale: 'en', timeZone: 'Europe/Paris' });
      expect(person.browser.cookie(app.url, LANGUAGE_COOKIE)).toBeUndefined();
      expect(await lastEventId(app)).toBe(before);
    });

    it('refuses a form without this session’s CSRF token, or with a field twice, writing nothing', async () => {
      const person = await personWith('csrf', { locale: 'en', timeZone: null });
      const before = await lastEventId(app);
      const forged = await person.browser.postForm(`${app.url}/account/preferences`, { csrf: 'forged', lang: 'de', time_zone: 'UTC' });
      expect(forged.status).toBe(403);
      const none = await person.browser.postForm(`${app.url}/account/preferences`, { lang: 'de', time_zone: 'UTC' });
      expect(none.status).toBe(403);
      const body = new URLSearchParams([
        ['csrf', await person.csrf()],
        ['lang', 'de'],
        ['lang', 'fr'],
        ['time_zone', 'UTC'],
      ]);
      const twice = await person.browser.request(`${app.url}/account/preferences`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: body.toString() });
      expect(twice.status).toBe(400);
      expect(await app.store.users.findById(person.user.id)).toMatchObject({ locale: 'en', timeZone: null });
      expect(await lastEventId(app)).toBe(before);
    });
  });

  describe('the mails the page sends', () => {
    it('are in the saved language and time zone, whatever the page’s language', async () => {
      const person = await personWith('mailsaved', { locale: 'de', timeZone: 'Europe/Berlin' });
      // This browser's switcher says French: the page is French, the mail still German (the account's).
      person.browser.setCookie(app.url, LANGUAGE_COOKIE, 'fr');
      const csrf = await person.csrf();
      expect(htmlTag(await accountPage(person))).toBe('<html lang="fr" dir="ltr">');
      const answer = await person.browser.postForm(`${app.url}/account/password`, {
        csrf,
        current_password: PASSWORD,
        new_password: 'a brand new passphrase for me',
        confirm_password: 'a brand new passphrase for me',
      });
      expect(answer.status, answer.body).toBe(303);
      const mail = await waitForMail(app.config.dataDir, person.user.email, { subject: /wurde geändert/ });
      expect(mail.subject).toBe(`Ihr Passwort für ${new URL(app.url).host} wurde geändert`);
      expect(mail.text).toMatch(/wurde am \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} (MEZ|MESZ) von der Adresse \S*127\.0\.0\.1 aus geändert\./);
      expect(mail.text).toContain(`Acme Login (${new URL(app.url).host})`);
      expect(mail.html).toContain('<html lang="de" dir="ltr">');
    });

    it('are in the page’s language when nothing is saved', async () => {
      const person = await personWith('mailpage');
      const answer = await person.browser.postForm(`${app.url}/account/email/verification`, { csrf: await person.csrf() }, { 'Accept-Language': 'fr' });
      expect(answer.status, answer.body).toBe(303);
      const mail = await waitForMail(app.config.dataDir, person.user.email, { subject: /Vérifiez votre adresse e-mail/ });
      expect(mail.text).toContain('Veuillez confirmer');
      expect(mail.text).toContain('24 heures');
      expect(mail.links.some((link) => link.includes('/verify-email?token='))).toBe(true);
    });

    it('tell a second-factor change in the saved language, in Arabic right to left', async () => {
      const person = await personWith('mailarabic', { locale: 'ar' });
      expect((await person.post('/account/two-factor/setup', { current_password: PASSWORD })).status).toBe(303);
      const setup = await accountPage(person, 'en', '/account/two-factor');
      const secret = (/data-testid="totp-secret">([^<]+)</.exec(setup.body)?.[1] ?? '').replace(/\s+/g, '');
      const confirmed = await person.post('/account/two-factor/confirm', { code: totpCodeAt(secret, totpStep(app.clock.now())) });
      expect(confirmed.status, confirmed.body).toBe(200);
      expect(confirmed.body).toContain('<h1>التحقق بخطوتين مفعّل</h1>');
      const mail = await waitForMail(app.config.dataDir, person.user.email, { subject: /تغيّرت طريقة تسجيل دخولك/ });
      expect(mail.text).toContain('تم تفعيل التحقق بخطوتين');
      expect(mail.html).toContain('<html lang="ar" dir="rtl">');
      expect(mail.text).not.toMatch(/Two-step|Hello/);
    });
  });

  describe('a brand with a logo and a colour', () => {
    let branded: RunningApp;
    let removeLogo: () => void;

    beforeAll(async () => {
      const logo = tempDir();
      removeLogo = logo.remove;
      const file = path.join(logo.dir, 'logo.png');
      // The smallest PNG: a signature, a 1×1 IHDR, an IDAT and IEND (the brand service checks the magic bytes).
      writeFileSync(file, Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'));
      branded = await startApp({ env: { BRAND_NAME: 'Acme Login', BRAND_LOGO: file, BRAND_COLOR: '#0b57d0' } });
    });
    afterAll(async () => {
      await branded?.stop();
      removeLogo?.();
    });

    it('shows them in the account header, and in the mails: the logo as an absolute URL, links in the colour', async () => {
      const user = await newPerson(branded, 'branded');
      const person = await signedInPerson(branded, user);
      const page = await person.page();
      const logo = /<img class="brand-logo" src="([^"]+)" alt="" height="32">/.exec(page.body)?.[1] ?? '';
      expect(logo).toMatch(/^\/branding\/logo\?v=/);
      expect((await person.post('/account/email/verification')).status).toBe(303);
      const mail = await waitForMail(branded.config.dataDir, user.email, { subject: /^Verify your email address/ });
      expect(mail.html).toContain(`<img src="${new URL(branded.url).origin}${logo.replace(/&/g, '&amp;')}" alt="Acme Login" height="40">`);
      expect(mail.html).toMatch(/<a href="[^"]+" style="color: #0b57d0">/);
      expect(mail.text).toContain(`Acme Login at ${new URL(branded.url).host}`);
    });
  });
});
