// Issue 25: the consent, device, sign-out and self-service pages in the person's language. The language comes from
// the request's ui_locales (OIDC Core §3.1.2.1; RP-Initiated Logout 1.0 §2), the language saved on the account,
// or the browser's Accept-Language (src/i18n/page-locale.ts); the reset mail follows the page it was asked from
// unless the account saved a language of its own. English stays as it was (the consent page's Allow and Deny).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, open, submitLogin, type TestClient } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addThirdParty, authorize, callbackOf, decide as decideConsent, isConsentPage, listed } from './consent-helpers.js';
import { addDeviceClient, decide as decideDevice, enterCode, signInAtDevice, startDevice, type DeviceClient } from './device-helpers.js';

/** A browser whose every request says which languages it prefers (as a person's browser does). */
class SpeakingBrowser extends Browser {
  constructor(private readonly acceptLanguage: string) {
    super();
  }

  override request(url: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    headers.set('Accept-Language', this.acceptLanguage);
    return super.request(url, { ...init, headers });
  }
}

/** The <html> element's language and direction. */
function htmlOf(page: Page): { lang: string; dir: string } {
  const match = /<html lang="([^"]*)" dir="([^"]*)">/.exec(page.body);
  return { lang: match?.[1] ?? '', dir: match?.[2] ?? '' };
}

/** The page's one h1, as text (entities of the apostrophe decoded). */
function headingOf(page: Page): string {
  return (/<h1>([^<]*)<\/h1>/.exec(page.body)?.[1] ?? '').replace(/&#39;/g, "'");
}

describe('the consent, device, sign-out and self-service pages in the person’s language', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let people = 0;

  /** A person of their own per test (consents, saved languages and mails are per person). */
  const person = (): Promise<UserRecord> => addUser(app, `person${++people}@example.com`, { name: 'Person' });

  beforeAll(async () => {
    app = await startApp({ clock });
  });
  afterAll(() => app.stop());

  describe('the consent page', () => {
    let gadget: TestClient;

    beforeAll(async () => {
      gadget = await addThirdParty(
        app,
        { name: 'Gadget', redirectUris: ['https://callback.gadget.example/cb'] },
        { policyUri: 'https://www.gadget.example/privacy', tosUri: 'https://legal.gadget.example/terms' },
      );
    });

    it('is French for ui_locales=fr: what it asks for, the documents, who is signed in, and Allow and Deny translated; Autoriser sends the code', async () => {
      const ada = await person();
      const browser = new Browser();
      const { page } = await authorize(app, browser, gadget, { scope: 'openid email offline_access', ui_locales: 'fr' }, ada.email);
      expect(isConsentPage(page), page.body).toBe(true);
      expect(htmlOf(page)).toEqual({ lang: 'fr', dir: 'ltr' });
      expect(headingOf(page)).toBe('Autoriser Gadget à utiliser votre compte\u00a0?');
      expect(page.body).toContain('<title>Autoriser Gadget à utiliser votre compte\u00a0? · Gatehouse</title>');
      expect(page.body).toContain('<button type="submit" name="decision" value="allow">Autoriser</button>');
      expect(page.body).toContain('<button type="submit" name="decision" value="deny" class="secondary">Refuser</button>');
      expect(page.body).not.toMatch(/>(Allow|Deny)</);
      expect(listed(page, 'consent-asks')).toEqual(['Savoir qui vous êtes', 'Voir votre adresse e-mail', 'Rester connecté à Gadget en votre absence']);
      expect(page.body).toMatch(/<strong>Gadget<\/strong> n’est pas fourni par votre organisation\./);
      expect(page.body).toContain(`Connecté en tant que <strong>${ada.email}</strong>.`);
      expect(page.body).toMatch(
        /Consultez sa <a href="https:\/\/www\.gadget\.example\/privacy"[^>]*>politique de confidentialité<\/a> \(www\.gadget\.example\) et ses <a href="https:\/\/legal\.gadget\.example\/terms"[^>]*>conditions d’utilisation<\/a> \(legal\.gadget\.example\)\./,
      );
      expect(callbackOf(gadget, await decideConsent(browser, page, 'allow')).get('code')).toBeTruthy();
    });

    it('speaks the language saved on the account when the application names none', async () => {
      const grace = await person();
      await app.store.users.update(grace.id, { locale: 'fr' }, clock.now());
      const browser = new Browser();
      const { page } = await authorize(app, browser, gadget, { scope: 'openid email' }, grace.email);
      expect(isConsentPage(page), page.body).toBe(true);
      expect(htmlOf(page).lang).toBe('fr');
      const params = callbackOf(gadget, await decideConsent(browser, page, 'allow'));
      expect(params.get('code')).toBeTruthy();
    });

    it('stays English with Allow and Deny for a browser that asks for no language', async () => {
      const ken = await person();
      const { page } = await authorize(app, new Browser(), gadget, { scope: 'openid email' }, ken.email);
      expect(htmlOf(page)).toEqual({ lang: 'en', dir: 'ltr' });
      expect(page.body).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
      expect(page.body).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
      expect(listed(page, 'consent-asks')).toEqual(['Know who you are', 'See your email address']);
    });
  });

  describe('the device page', () => {
    let tv: DeviceClient;

    beforeAll(async () => {
      tv = await addDeviceClient(app, { name: 'Salón TV' });
    });

    it('is Spanish for a Spanish browser: the code form, a wrong code, the approval page with Permitir and Denegar, and the outcome', async () => {
      const ana = await person();
      const browser = new SpeakingBrowser('es-ES,es;q=0.9,en;q=0.5');
      const form = await signInAtDevice(app, ana.email, browser);
      expect(htmlOf(form)).toEqual({ lang: 'es', dir: 'ltr' });
      expect(headingOf(form)).toBe('Conectar un dispositivo');
      expect(form.body).toContain('<label for="user_code">Código</label>');
      expect(form.body).toContain(`Ha iniciado sesión como <strong>${ana.email}</strong>.`);

      const wrong = await enterCode(app, browser, 'BCDF-GHJK');
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain('Ese código no es correcto o ha caducado.');
      expect(wrong.body).toMatch(/<input id="user_code"[^>]* aria-describedby="user-code-hint user-code-error" aria-invalid="true">/);

      const start = await startDevice(app, tv, { scope: 'openid profile offline_access' });
      const approval = await enterCode(app, browser, start.userCode);
      expect(approval.status, approval.body).toBe(200);
      expect(headingOf(approval)).toBe('¿Permitir que Salón TV use su cuenta?');
      expect(approval.body).toMatch(
        /Un dispositivo que muestra el código <strong class="user-code-shown" data-testid="device-user-code">[A-Z-]+<\/strong> solicita iniciar sesión en <strong data-testid="device-client">Salón TV<\/strong> como <strong>person\d+@example\.com<\/strong>\./,
      );
      const asks = /<ul class="device-asks"[^>]*>([\s\S]*?)<\/ul>/.exec(approval.body)?.[1] ?? '';
      expect([...asks.matchAll(/<li>([^<]*)/g)].map((match) => match[1]?.trim())).toEqual([
        'Saber quién es usted',
        'Ver su nombre',
        'Mantener la sesión iniciada en Salón TV mientras usted no está',
      ]);
      expect(approval.body).toContain('<button type="submit" name="decision" value="allow">Permitir</button>');
      expect(approval.body).toContain('<button type="submit" name="decision" value="deny" class="secondary">Denegar</button>');

      const done = await decideDevice(app, browser, approval, 'allow');
      expect(done.status).toBe(200);
      expect(headingOf(done)).toBe('Dispositivo conectado');
      expect(done.body).toContain('Ha dado permiso a <strong>Salón TV</strong>.');
    });

    it('follows the language saved on the account over the browser’s', async () => {
      const bo = await person();
      await app.store.users.update(bo.id, { locale: 'es' }, clock.now());
      const form = await signInAtDevice(app, bo.email, new SpeakingBrowser('en-US,en;q=0.9'));
      expect(htmlOf(form).lang).toBe('es');
      expect(headingOf(form)).toBe('Conectar un dispositivo');
    });
  });

  describe('the sign-out pages', () => {
    let wiki: TestClient;

    beforeAll(async () => {
      wiki = await addClient(app, { name: 'Team wiki', postLogoutRedirectUris: ['https://rp.example/signed-out'] });
    });

    async function signedInBrowser(email: string): Promise<Browser> {
      const browser = new Browser();
      const start = await authorizationUrl(wiki);
      const login = await open(browser, app, start.url);
      const answer = await submitLogin(browser, login, email);
      expect(answer.status, answer.body).toBe(303);
      return browser;
    }

    it('ask in Arabic, right to left, for ui_locales=ar, and the page after the confirmation is Arabic too', async () => {
      const browser = await signedInBrowser((await person()).email);
      const page = await browser.get(`${app.url}/logout?${new URLSearchParams({ client_id: wiki.clientId, ui_locales: 'ar' }).toString()}`);
      expect(page.status).toBe(200);
      expect(htmlOf(page)).toEqual({ lang: 'ar', dir: 'rtl' });
      expect(headingOf(page)).toBe('هل تريد تسجيل الخروج؟');
      expect(page.body).toContain('<strong>Team wiki</strong>');
      expect(page.body).toContain('<button type="submit">تسجيل الخروج</button>');
      const fields = formFields(page.body);
      expect(fields.ui_locales).toBe('ar');
      // The switcher comes back to the same question, with what may be asked again.
      expect(page.body).toContain(`name="return_to" value="/logout?client_id=${wiki.clientId}&amp;ui_locales=ar"`);

      const done = await browser.postForm(formAction(page.body, page.url), fields);
      expect(done.status).toBe(200);
      expect(htmlOf(done)).toEqual({ lang: 'ar', dir: 'rtl' });
      expect(headingOf(done)).toBe('تم تسجيل خروجك');
    });

    it('never put an ID token hint or a refused address into the switcher’s form', async () => {
      const browser = await signedInBrowser((await person()).email);
      const page = await browser.get(`${app.url}/logout?${new URLSearchParams({ id_token_hint: 'not.a.token', post_logout_redirect_uri: 'https://evil.example/', ui_locales: 'de' }).toString()}`);
      expect(htmlOf(page).lang).toBe('de');
      expect(page.body).toContain('name="return_to" value="/logout?ui_locales=de"');
      expect(page.body).not.toContain('evil.example');
      expect(page.body).not.toContain('not.a.token');
    });
  });

  describe('forgot password and the pages of mailed links', () => {
    /** Asks for a reset link from the "Forgot password?" page in `browser`. */
    async function requestReset(browser: Browser, email: string): Promise<{ form: Page; sent: Page }> {
      const form = await browser.get(`${app.url}/forgot-password`);
      expect(form.status).toBe(200);
      const sent = await browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email });
      return { form, sent };
    }

    it('sends the reset mail in French when the page was French: subject and text', async () => {
      const zoe = await person();
      const { form, sent } = await requestReset(new SpeakingBrowser('fr-CA,fr;q=0.9'), zoe.email);
      expect(htmlOf(form).lang).toBe('fr');
      expect(headingOf(form)).toBe('Réinitialiser votre mot de passe');
      expect(form.body).toContain('<label for="email">E-mail</label>');
      expect(sent.status).toBe(200);
      expect(headingOf(sent)).toBe('Consultez vos e-mails');
      expect(sent.body).toContain(
        `Si un compte utilise <strong>${zoe.email}</strong>, un lien pour choisir un nouveau mot de passe est en route. Il fonctionne une seule fois, pendant 30 minutes.`,
      );

      const mail = await waitForMail(app.config.dataDir, zoe.email);
      const english = ['Reset your password', 'Hello', 'minutes', 'If you did not'];
      expect(mail.subject).toMatch(/mot de passe/i);
      for (const word of english) expect(mail.subject).not.toContain(word);
      expect(mail.text).toMatch(/mot de passe/);
      expect(mail.text).toContain('Bonjour');
      expect(mail.links.some((link) => link.startsWith(`${app.url}/reset-password?token=`))).toBe(true);
    });

    it('mails in the language the account saved, whatever the page’s', async () => {
      const max = await person();
      await app.store.users.update(max.id, { locale: 'de' }, clock.now());
      await requestReset(new SpeakingBrowser('fr'), max.email);
      const mail = await waitForMail(app.config.dataDir, max.email);
      expect(mail.text).toContain('Passwort');
      expect(mail.text).not.toContain('Bonjour');
    });

    it('refuses a wrong address in the page’s language, announced and tied to the field', async () => {
      const browser = new SpeakingBrowser('ja');
      const form = await browser.get(`${app.url}/forgot-password`);
      const answer = await browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email: 'not an address' });
      expect(answer.status).toBe(400);
      expect(htmlOf(answer).lang).toBe('ja');
      expect(answer.body).toMatch(/<div class="error-summary" role="alert" tabindex="-1" autofocus id="forgot-error">[\s\S]*アカウントのメールアドレスを入力してください。/);
      expect(answer.body).toMatch(/<input id="email"[^>]* aria-describedby="forgot-error" aria-invalid="true">/);
      expect(answer.body).not.toMatch(/<input id="email"[^>]*autofocus/);
    });

    it('opens the reset link in the account’s language, and answers a dead link in the browser’s', async () => {
      const uli = await person();
      await app.store.users.update(uli.id, { locale: 'de' }, clock.now());
      await requestReset(new Browser(), uli.email);
      const mail = await waitForMail(app.config.dataDir, uli.email);
      const link = mail.links.find((url) => url.startsWith(`${app.url}/reset-password?token=`)) ?? '';
      const page = await new SpeakingBrowser('en').get(link);
      expect(page.status).toBe(200);
      expect(htmlOf(page).lang).toBe('de');
      expect(headingOf(page)).toBe('Neues Passwort wählen');
      expect(page.body).toContain(`Mindestens ${app.config.passwordMinLength} Zeichen.`);

      const dead = await new SpeakingBrowser('ja').get(`${app.url}/reset-password?token=gone`);
      expect(dead.status).toBe(400);
      expect(htmlOf(dead).lang).toBe('ja');
      expect(headingOf(dead)).toBe('このリンクは使用できなくなりました');
      expect(dead.body).toContain('リンクは 30 分間、1 回だけ使用できます。');
      expect(dead.body).toContain('<a href="/forgot-password">新しいリンクを求める</a>');
    });

    it('refuses a form without its cookie in the page’s language', async () => {
      const answer = await new SpeakingBrowser('de').postForm(`${app.url}/forgot-password`, { csrf: 'x', email: 'a@example.com' });
      expect(answer.status).toBe(403);
      expect(htmlOf(answer).lang).toBe('de');
      expect(answer.body).toContain('Dieser Browser hat das Cookie, das das Formular benötigt, nicht gespeichert.');
    });
  });
});
