// Issue 25: which language a page speaks (OIDC Core §3.1.2.1 ui_locales first), where the switcher may send a
// person back to, and dates in the person's language and time zone.
import { describe, expect, it } from 'vitest';
import { dateFormatter, validTimeZone } from '../../src/i18n/format.js';
import { directionOf, firstLanguageOf, languageOfTag } from '../../src/i18n/languages.js';
import { chooseLanguage } from '../../src/i18n/page-locale.js';
import type { Request } from 'express';
import { returnPathOf, safeReturnPath } from '../../src/i18n/return-path.js';

describe('chooseLanguage', () => {
  it('takes ui_locales first, then the pick, the account, Accept-Language and the default, each only for a language we ship', () => {
    const all = { uiLocales: ['de'], picked: 'fr', account: 'es', acceptLanguage: ['ja'], fallback: 'ar' } as const;
    expect(chooseLanguage(all)).toBe('de');
    expect(chooseLanguage({ ...all, uiLocales: ['sv', 'nl'] })).toBe('fr');
    expect(chooseLanguage({ ...all, uiLocales: ['sv', 'fr-CA', 'de'] })).toBe('fr');
    expect(chooseLanguage({ ...all, uiLocales: [], picked: null })).toBe('es');
    expect(chooseLanguage({ ...all, uiLocales: [], picked: 'xx', account: null })).toBe('ja');
    expect(chooseLanguage({ uiLocales: [], picked: null, account: null, acceptLanguage: ['*', 'sv'], fallback: 'ar' })).toBe('ar');
    expect(chooseLanguage({ fallback: 'en' })).toBe('en');
  });

  it('reads a tag by its primary subtag, in any case', () => {
    expect(languageOfTag('de-AT')).toBe('de');
    expect(languageOfTag('JA_jp')).toBe('ja');
    expect(languageOfTag('ar-Latn-EG')).toBe('ar');
    expect(languageOfTag('english')).toBeNull();
    expect(languageOfTag('')).toBeNull();
    expect(firstLanguageOf(['x-klingon', 'es-419'])).toBe('es');
    expect(directionOf('ar')).toBe('rtl');
    expect(directionOf('ja')).toBe('ltr');
  });
});

describe('safeReturnPath', () => {
  it('keeps a path of ours, query included', () => {
    expect(safeReturnPath('/login?request=abc', '')).toBe('/login?request=abc');
    expect(safeReturnPath('/idp/account', '/idp')).toBe('/idp/account');
  });

  it('refuses anything that could leave our origin or our base path', () => {
    for (const bad of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', 'login', '', '/a\nb', `/${'a'.repeat(3000)}`]) {
      expect(safeReturnPath(bad, ''), bad).toBeNull();
    }
    expect(safeReturnPath('/account', '/idp')).toBeNull();
    expect(safeReturnPath('/idpx', '/idp')).toBeNull();
  });
});

describe('returnPathOf', () => {
  const request = (method: string, originalUrl: string, body?: Record<string, unknown>) => ({ method, originalUrl, body }) as unknown as Request;

  it('returns a GET to its own address, and a form shown again after a POST to the GET of its flow', () => {
    expect(returnPathOf(request('GET', '/login?request=abc'), '')).toBe('/login?request=abc');
    expect(returnPathOf(request('POST', '/login', { request: 'abc', email: 'ada@example.com', password: 'secret', csrf: 'x' }), '')).toBe('/login?request=abc');
    expect(returnPathOf(request('POST', '/login', { return_to: '/admin/users', password: 'secret' }), '')).toBe('/login?return_to=%2Fadmin%2Fusers');
    expect(returnPathOf(request('POST', '/forgot-password', { email: 'ada@example.com' }), '')).toBe('/forgot-password');
    expect(returnPathOf(request('GET', '//evil.example/x'), '/idp')).toBe('/idp/');
    // An ID token hint is a credential: an error page of /authorize does not copy it into its form.
    expect(returnPathOf(request('GET', '/authorize?client_id=a&id_token_hint=eyJ.x.y&ui_locales=de'), '')).toBe('/authorize?client_id=a&ui_locales=de');
    expect(returnPathOf(request('GET', '/authorize?id_token_hint=eyJ.x.y'), '')).toBe('/authorize');
  });
});

describe('dates', () => {
  const at = Date.UTC(2026, 11, 7, 13, 5);

  it('formats in the language and the time zone, naming the zone', () => {
    expect(dateFormatter('en', 'UTC').dateTime(at)).toBe('Dec 7, 2026, 1:05 PM UTC');
    expect(dateFormatter('de', 'Europe/Berlin').dateTime(at)).toBe('07.12.2026, 14:05 MEZ');
    expect(dateFormatter('ja', 'Asia/Tokyo').date(at)).toBe('2026/12/07');
  });

  it('falls back to UTC for a zone Intl does not know', () => {
    expect(validTimeZone('Mars/Olympus')).toBeNull();
    expect(validTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(dateFormatter('en', 'Mars/Olympus').timeZone).toBe('UTC');
  });
});
