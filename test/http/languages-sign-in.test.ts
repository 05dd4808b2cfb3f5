// The sign-in pages in the person's language (issue 25; src/i18n/page-locale.ts): the application's ui_locales
// (OIDC Core §3.1.2.1) first, then the switcher's cookie, then Accept-Language, then DEFAULT_LOCALE; right to left
// for Arabic. A refusal (a wrong password, a password the policy refuses) says why in that language; an error page
// translates its title and says what happened, the protocol's English description marked lang="en". The switcher
// (POST /language) is a form like every other: CSRF-checked, a language we ship, a return path of ours, and a
// refusal sets nothing; for a signed-in person it saves the choice on the account. The login page shows the
// application's https logo, its origin alone added to img-src.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password-hash.js';
import { randomId } from '../../src/auth/secrets.js';
import { totpCodeAt, totpStep } from '../../src/auth/totp.js';
import { translatorFor } from '../../src/i18n/catalog.js';
import type { Language } from '../../src/i18n/languages.js';
import { tryAgainText } from '../../src/interaction/sign-in-attempt.js';
import { createProvider } from '../../src/manage/providers.js';
import { corpusOf } from '../helpers/breach-corpus.js';
import { Browser, formAction, formFields, switcherFields, type Page } from '../helpers/browser.js';
import { providerContext } from '../helpers/federation-fixtures.js';
import { addClient, authorizationUrl, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signInToAccount } from './account-helpers.js';
import { passkeyFields, postJson } from './passkey-helpers.js';

/** In the breach corpus: whoever signs in with it is asked for a new password. */
const BREACHED = 'Tr0ub4dor&3 from an old breach';
const BRAND = 'Harbour Lights';
const LOGO = 'https://cdn.wiki.example/brand/logo.png';

/** The text of the error summary (views/partials/error-summary.ejs) the page shows, if any. */
const summaryOf = (page: Page) => /role="alert"[^>]*id="login-error">\s*<p class="error-summary-title">([^<]*)<\/p>\s*<p>([^<]*)<\/p>/.exec(page.body)?.slice(1) ?? null;
const htmlOf = (page: Page) => /<html lang="([^"]*)" dir="([^"]*)">/.exec(page.body)?.slice(1) ?? null;
const h1Of = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.body)?.[1] ?? null;

/** The fields of the language switcher, the last form of every page (views/partials/language-switcher.ejs). */
function switcherOf(page: Page): Record<string, string> {
  return switcherFields(page.body);
}

describe('the sign-in pages in the person’s language (issue 25)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-languages-'));
  let app: RunningApp;
  let origin: string;
  let client: TestClient;
  const languageCookie = (browser: Browser) => browser.cookie(origin, 'gatehouse_language');

  /** Opens an authorization request and follows our redirects to the login page, sending `headers` at each hop. */
  async function loginPage(browser: Browser, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Page> {
    let page = await browser.request((await authorizationUrl(client, extra)).url.toString(), { headers });
    while (page.location && new URL(page.location).origin === origin) page = await browser.request(page.location, { headers });
    expect(page.status, page.body).toBe(200);
    return page;
  }

  /** Chooses `lang` with the switcher of `page`; returns the answer. */
  function switchTo(browser: Browser, page: Page, lang: string, fields: Record<string, string> = {}): Promise<Page> {
    return browser.postForm(`${app.url}/language`, { ...switcherOf(page), lang, ...fields });
  }

  beforeAll(async () => {
    corpusOf(path.join(dir, 'corpus.txt'), [BREACHED], 500);
    app = await startApp({ env: { BREACHED_PASSWORDS_FILE: path.join(dir, 'corpus.txt'), BRAND_NAME: BRAND } });
    origin = new URL(app.url).origin;
    client = await addClient(app, { name: 'Wiki <Team>', logoUri: LOGO });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('which language a page is in', () => {
    it('ui_locales=de: a German login page, lang="de", the application named in a German sentence', async () => {
      const page = await loginPage(new Browser(), { ui_locales: 'de' });
      expect(htmlOf(page)).toEqual(['de', 'ltr']);
      expect(h1Of(page)).toBe('Anmelden');
      expect(page.body).toContain('<title>Anmelden · Harbour Lights</title>');
      expect(page.body).toContain('<p class="muted">um mit <strong>Wiki &lt;Team&gt;</strong> fortzufahren</p>');
      expect(page.body).toContain('<label for="email">E-Mail-Adresse</label>');
      expect(page.body).toContain('<label for="password">Passwort</label>');
      expect(page.body).toContain('<button type="submit">Anmelden</button>');
      expect(page.body).toContain('>Passwort vergessen?</a>');
      expect(page.body).toContain('>Passkey verwenden</button>');
      // The switcher offers every language by its own name, German chosen.
      expect(page.body).toContain('<option value="de" lang="de" selected>Deutsch</option>');
      expect(page.body).not.toMatch(/>Sign in</);
    });

    it('ui_locales=ar: right to left and Arabic', async () => {
      const page = await loginPage(new Browser(), { ui_locales: 'ar-EG' });
      expect(htmlOf(page)).toEqual(['ar', 'rtl']);
      expect(h1Of(page)).toBe('تسجيل الدخول');
      expect(page.body).toContain('<label for="password">كلمة المرور</label>');
      expect(page.body).toContain('للمتابعة إلى <strong>Wiki &lt;Team&gt;</strong>');
    });

    it('Accept-Language ja: Japanese', async () => {
      const page = await loginPage(new Browser(), {}, { 'Accept-Language': 'ja-JP,ja;q=0.9,en;q=0.5' });
      expect(htmlOf(page)).toEqual(['ja', 'ltr']);
      expect(h1Of(page)).toBe('サインイン');
      expect(page.body).toContain('<strong>Wiki &lt;Team&gt;</strong> に進むには');
    });

    it('ui_locales beats the switcher’s cookie, and the cookie beats Accept-Language', async () => {
      const browser = new Browser();
      const first = await loginPage(browser);
      const switched = await switchTo(browser, first, 'es');
      expect(switched.status, switched.body).toBe(303);
      expect(languageCookie(browser)).toBe('es');
      const asked = await loginPage(browser, { ui_locales: 'fr-CA de' }, { 'Accept-Language': 'ja' });
      expect(htmlOf(asked)).toEqual(['fr', 'ltr']);
      expect(h1Of(asked)).toBe('Se connecter');
      const picked = await loginPage(browser, {}, { 'Accept-Language': 'ja' });
      expect(htmlOf(picked)).toEqual(['es', 'ltr']);
      expect(h1Of(picked)).toBe('Iniciar sesión');
    });

    it('a ui_locales we do not ship falls through to the next tag, then to Accept-Language, then to English', async () => {
      expect(htmlOf(await loginPage(new Browser(), { ui_locales: 'tlh x-klingon de-AT' }))).toEqual(['de', 'ltr']);
      expect(htmlOf(await loginPage(new Browser(), { ui_locales: 'tlh pt-BR' }, { 'Accept-Language': 'fr' }))).toEqual(['fr', 'ltr']);
      const english = await loginPage(new Browser(), { ui_locales: 'tlh' });
      expect(htmlOf(english)).toEqual(['en', 'ltr']);
      expect(h1Of(english)).toBe('Sign in');
      expect(english.body).toContain('to continue to <strong>Wiki &lt;Team&gt;</strong>');
    });
  });

  describe('refusals say why in the page’s language', () => {
    it('a wrong password: 401 and the German error summary, the email field pointing at it', async () => {
      const user = await newPerson(app, 'wrong');
      const browser = new Browser();
      const page = await loginPage(browser, { ui_locales: 'de' });
      const answer = await browser.postForm(formAction(page.body, page.url), { ...formFields(page.body), email: user.email, password: 'not the password' });
      expect(answer.status).toBe(401);
      expect(htmlOf(answer)).toEqual(['de', 'ltr']);
      expect(summaryOf(answer)).toEqual(['Es gibt ein Problem', 'E-Mail-Adresse oder Passwort ist falsch.']);
      expect(answer.body).toMatch(/<input id="email"[^>]*aria-describedby="login-error" aria-invalid="true">/);
      expect(answer.body).not.toMatch(/<input[^>]*autofocus/);
    });

    it('the second step set up at sign-in, in Japanese: its texts, a wrong code in the error summary, the key left to right', async () => {
      const strict = await addClient(app, { name: 'Payroll MFA', requireMfa: true });
      const user = await newPerson(app, 'enrol');
      const browser = new Browser();
      const login = await browser.follow(await browser.get((await authorizationUrl(strict, { ui_locales: 'ja' })).url.toString()), origin);
      const step = await browser.follow(await browser.postForm(formAction(login.body, login.url), { ...formFields(login.body), email: user.email, password: PASSWORD }), origin);
      expect(step.status, step.body).toBe(200);
      expect(htmlOf(step)).toEqual(['ja', 'ltr']);
      expect(h1Of(step)).toBe('2 段階認証を設定する');
      expect(step.body).toMatch(/<code class="secret" dir="ltr" data-testid="totp-secret">[A-Z2-7 ]+<\/code>/);
      expect(step.body).toContain('<button type="submit">オンにして続行</button>');
      // A code the authenticator shows at no step the server accepts (now, or one step either side).
      const secret = (/data-testid="totp-secret">([^<]+)</.exec(step.body)?.[1] ?? '').replace(/\s+/g, '');
      const current = [-1, 0, 1].map((offset) => totpCodeAt(secret, totpStep(app.clock.now()) + offset));
      const code = ['000000', '111111', '222222', '333333'].find((candidate) => !current.includes(candidate)) ?? '';
      const wrong = await browser.postForm(formAction(step.body, step.url), { ...formFields(step.body), code });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatch(/id="code-error">\s*<p class="error-summary-title">[^<]+<\/p>\s*<p>コードが正しくありません。アプリに現在表示されている 6 桁のコードを入力してください。<\/p>/);
      expect(wrong.body).toContain('aria-describedby="code-error" aria-invalid="true"');
    });

    it('a new password the policy refuses (the brand’s name; too short): the German reason, nothing written', async () => {
      const user = await newPerson(app, 'breached');
      await app.store.users.update(user.id, { passwordHash: await hashPassword(BREACHED) }, app.clock.now());
      const before = (await app.store.users.findById(user.id))?.passwordHash;
      const browser = new Browser();
      const login = await loginPage(browser, { ui_locales: 'de' });
      const step = await browser.follow(await browser.postForm(formAction(login.body, login.url), { ...formFields(login.body), email: user.email, password: BREACHED }), origin);
      expect(step.status, step.body).toBe(200);
      expect(htmlOf(step)).toEqual(['de', 'ltr']);
      expect(h1Of(step)).toBe('Neues Passwort wählen');
      expect(step.body).toContain(`Mindestens ${app.config.passwordMinLength} Zeichen.`);
      const submit = (password: string) => browser.postForm(formAction(step.body, step.url), { ...formFields(step.body), password, confirm: password });
      const named = await submit('harbour lights harbour lights');
      expect(named.status).toBe(400);
      expect(named.body).toContain('<p class="field-error" id="password-error">Das Passwort enthält den Namen dieses Dienstes oder seine Adresse.</p>');
      const short = await submit('kurz');
      expect(short.body).toContain(`<p class="field-error" id="password-error">Das Passwort muss mindestens ${app.config.passwordMinLength} Zeichen lang sein.</p>`);
      const breached = await submit(BREACHED);
      expect(breached.body).toContain('<p class="field-error" id="password-error">Das Passwort steht auf einer Liste von Passwörtern, die bei Datenlecks bekannt geworden sind.</p>');
      expect((await app.store.users.findById(user.id))?.passwordHash).toBe(before);
    });

    it('an application the person may not use: its refusal page in the sign-in’s language, the default contact translated', async () => {
      const payroll = await addClient(app, { name: 'Payroll', redirectUris: ['https://payroll.example/cb'] });
      const group = await app.store.groups.create({ id: randomId(), name: 'payroll-staff', description: '' }, app.clock.now());
      await app.store.clients.update(payroll.clientId, { accessPolicy: 'groups', accessGroups: [group.id], accessContact: null }, app.clock.now());
      const user = await newPerson(app, 'outsider');
      const browser = new Browser();
      let login = await browser.request((await authorizationUrl(payroll, { ui_locales: 'de' })).url.toString());
      login = await browser.follow(login, origin);
      const answer = await browser.postForm(formAction(login.body, login.url), { ...formFields(login.body), email: user.email, password: PASSWORD });
      expect(answer.status).toBe(403);
      expect(htmlOf(answer)).toEqual(['de', 'ltr']);
      expect(h1Of(answer)).toBe('Sie haben keinen Zugriff auf Payroll');
      expect(answer.body).toContain(`<p>Das Konto <strong>${user.email}</strong> darf <strong>Payroll</strong> nicht verwenden.</p>`);
      expect(answer.body).toContain('data-testid="access-contact">Um Zugriff zu erhalten, wenden Sie sich an Ihre Administratorin oder Ihren Administrator.</p>');
      expect(answer.body).toMatch(/data-testid="access-back">Zurück zu Payroll<\/a>/);
    });

    it('a provider that cannot be reached: its button and its failure page in the sign-in’s language, with no English left', async () => {
      await createProvider(providerContext(app), {
        kind: 'oidc',
        slug: 'down',
        name: 'Northwind',
        issuer: 'http://127.0.0.1:9/down',
        clientId: 'gatehouse',
        clientSecret: 'a client secret, long and random enough',
      });
      try {
        const browser = new Browser();
        const login = await loginPage(browser, { ui_locales: 'es' });
        const link = /<a class="button secondary provider" href="([^"]*)" data-provider="down">([^<]*)<\/a>/.exec(login.body);
        expect(link?.[2]).toBe('Continuar con Northwind');
        const failed = await browser.get(new URL((link?.[1] ?? '').replace(/&amp;/g, '&'), login.url).toString());
        expect(failed.status).toBe(502);
        expect(htmlOf(failed)).toEqual(['es', 'ltr']);
        expect(h1Of(failed)).toBe('El inicio de sesión no se ha completado');
        expect(failed.body).toContain('<p>Northwind no está disponible en este momento. Inténtelo de nuevo más tarde.</p>');
        expect(failed.body).not.toContain('Northwind is not available right now');
        expect(failed.body).toMatch(/>Volver al inicio de sesión<\/a>/);
      } finally {
        await app.store.identityProviders.delete('down');
      }
    });

    it('a passkey answer that cannot be read: the script is told in the page’s language', async () => {
      const browser = new Browser();
      const page = await loginPage(browser, { ui_locales: 'fr' });
      const answer = await postJson(browser, `${app.url}/login/passkey`, { ...passkeyFields(page), challengeId: 'x', response: { id: 42 } });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({ error: 'invalid_request', message: 'La réponse de la clé d’accès n’a pas pu être lue. Réessayez.' });
      // The script's own messages come from the page, translated.
      expect(page.body).toContain('data-cancelled="La demande de clé d’accès a été annulée ou a expiré. Réessayez quand vous serez prêt."');
      expect(page.body).toContain('data-unreachable="Harbour Lights est injoignable. Vérifiez votre connexion et réessayez."');
    });

    it('an authorization request refused before any sign-in: its error page in its ui_locales, the technical text in English', async () => {
      const answer = await new Browser().get(`${app.url}/authorize?client_id=nobody&response_type=code&ui_locales=de`);
      expect(answer.status).toBe(400);
      expect(htmlOf(answer)).toEqual(['de', 'ltr']);
      expect(h1Of(answer)).toBe('Die Anmeldung kann nicht fortgesetzt werden');
      expect(answer.body).toContain('<p>Diese Anmeldung kann nicht fortgesetzt werden. Kehren Sie zur Anwendung zurück und beginnen Sie erneut.</p>');
      expect(answer.body).toMatch(/<p class="muted" lang="en" dir="ltr">[^<]+<\/p>/);
      expect(answer.body).toMatch(/Fehler 400 · <code>invalid_request<\/code> · Anfrage <code>/);
    });

    it('a page that does not exist, for an Arabic browser: the title and what happened in Arabic, right to left', async () => {
      const answer = await new Browser().request(`${app.url}/nothing-here`, { headers: { 'Accept-Language': 'ar' } });
      expect(answer.status).toBe(404);
      expect(htmlOf(answer)).toEqual(['ar', 'rtl']);
      expect(h1Of(answer)).toBe('الصفحة غير موجودة');
      expect(answer.body).toContain('<p class="muted" lang="en" dir="ltr">Nothing is served at /nothing-here.</p>');
    });

    it('says when to try again in words of the language, with its plural forms', () => {
      const now = 1_000_000;
      const said = (language: Language, wait: number) => tryAgainText({ t: translatorFor(language), language }, now + wait, now);
      expect(said('en', 1_000)).toBe('Try again in 1 second.');
      expect(said('en', 5 * 60_000)).toBe('Try again in 5 minutes.');
      expect(said('de', 60 * 60_000)).toBe('Versuchen Sie es in 1 Stunde erneut.');
      expect(said('ar', 2 * 60_000)).toBe('حاول مرة أخرى خلال دقيقتين.');
      expect(said('ar', 3 * 60_000)).toBe('حاول مرة أخرى خلال 3 دقائق.');
      expect(said('ja', 45_000)).toBe('45 秒後にもう一度お試しください。');
    });
  });

  describe('the application on the login page', () => {
    it('shows its https logo, with exactly its origin added to img-src', async () => {
      const page = await loginPage(new Browser());
      expect(page.body).toContain(`<img class="client-logo" src="${LOGO}" alt="" width="48" height="48">`);
      const imgSrc =
        (page.headers.get('content-security-policy') ?? '')
          .split(';')
          .map((part) => part.trim())
          .find((part) => part.startsWith('img-src')) ?? '';
      expect(imgSrc.split(/\s+/)).toContain('https://cdn.wiki.example');
      expect(imgSrc.split(/\s+/)).not.toContain('https:');
    });

    it('a sign-in to our own pages names the brand, and shows no application logo', async () => {
      const page = await new Browser().get(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
      expect(page.body).toContain(`<p class="muted">to continue to ${BRAND}</p>`);
      expect(page.body).not.toContain('client-logo');
    });
  });

  describe('the switcher (POST /language)', () => {
    it('sets the cookie for a year and returns to the page it was on', async () => {
      const browser = new Browser();
      const page = await browser.get(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
      const answer = await switchTo(browser, page, 'ja');
      expect(answer.status).toBe(303);
      expect(answer.location).toBe(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
      expect(answer.headers.getSetCookie().find((line) => line.startsWith('gatehouse_language='))).toMatch(/^gatehouse_language=ja;.*Max-Age=31536000/i);
      expect(h1Of(await browser.get(answer.location ?? ''))).toBe('サインイン');
    });

    it('refuses a token from another browser, or none: 403, nothing set', async () => {
      const browser = new Browser();
      const page = await browser.get(`${app.url}/`);
      const stranger = new Browser();
      await stranger.get(`${app.url}/`);
      for (const [who, csrf] of [
        [stranger, switcherOf(page).csrf ?? ''],
        [browser, ''],
      ] as const) {
        const answer = await who.postForm(`${app.url}/language`, { ...switcherOf(page), csrf, lang: 'de' });
        expect(answer.status).toBe(403);
        expect(answer.headers.getSetCookie().some((line) => line.startsWith('gatehouse_language='))).toBe(false);
        expect(languageCookie(who)).toBeUndefined();
      }
    });

    it('refuses a language we do not ship: 400, nothing set', async () => {
      const browser = new Browser();
      const page = await browser.get(`${app.url}/`);
      for (const lang of ['tlh', 'DE', 'de-AT', '']) {
        const answer = await switchTo(browser, page, lang);
        expect(answer.status, lang).toBe(400);
        expect(languageCookie(browser)).toBeUndefined();
      }
    });

    it('never returns to another site: an absolute URL or //host goes to our home page', async () => {
      const browser = new Browser();
      const page = await browser.get(`${app.url}/`);
      for (const returnTo of ['https://evil.example/', '//evil.example/path', '/\\evil.example', 'javascript:alert(1)']) {
        const answer = await switchTo(browser, page, 'fr', { return_to: returnTo });
        expect(answer.status, returnTo).toBe(303);
        expect(answer.location, returnTo).toBe(`${app.url}/`);
      }
    });

    it('saves the choice on the account of whoever is signed in', async () => {
      const user = await newPerson(app, 'switcher');
      const browser = new Browser();
      const signedIn = await signInToAccount(app, user.email, browser, PASSWORD);
      expect(signedIn.status).toBe(303);
      const home = await browser.get(`${app.url}/`);
      expect(h1Of(home)).toBe(BRAND);
      const answer = await switchTo(browser, home, 'ar');
      expect(answer.status).toBe(303);
      expect((await app.store.users.findById(user.id))?.locale).toBe('ar');
      const again = await browser.get(`${app.url}/`);
      expect(htmlOf(again)).toEqual(['ar', 'rtl']);
      expect(again.body).toContain('<title>تسجيل الدخول الموحّد · Harbour Lights</title>');
    });
  });
});
