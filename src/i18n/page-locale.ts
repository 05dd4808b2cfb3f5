// Which language a page is in, and its translator (issue 25). In order (OIDC Core §3.1.2.1 for ui_locales):
//   1. the authorization request's `ui_locales`, for the pages of that sign-in (kept with the pending request);
//   2. the language the person picked: the switcher's cookie on this browser, else the one saved on their account;
//   3. the browser's Accept-Language;
//   4. DEFAULT_LOCALE.
// Each source counts only when it names a language we ship; the first that does decides. Handlers that learn a
// source late (the pending request, the signed-in account) tell it with preferRequestLocales/preferAccount before
// rendering; the views get `t`, `lang`, `dir` and `dates` through res.locals (src/i18n/localization.ts).
import type { Request } from 'express';
import type { Cookies } from '../http/cookies.js';
import { translatorFor, type Translate } from './catalog.js';
import { dateFormatter, type DateFormatter } from './format.js';
import { directionOf, firstLanguageOf, languageOfTag, type Language } from './languages.js';

export interface PageLocale {
  language: Language;
  dir: 'ltr' | 'rtl';
  t: Translate;
  dates: DateFormatter;
}

export interface LanguageSources {
  /** ui_locales of the authorization request, in order of preference. */
  uiLocales?: readonly string[];
  /** The switcher's cookie on this browser. */
  picked?: string | null;
  /** The language saved on the signed-in person's account. */
  account?: string | null;
  /** Accept-Language, in order of quality. */
  acceptLanguage?: readonly string[];
  /** DEFAULT_LOCALE. */
  fallback: Language;
}

/** The rule above, as a pure function. */
export function chooseLanguage(sources: LanguageSources): Language {
  return (
    firstLanguageOf(sources.uiLocales ?? []) ?? languageOfTag(sources.picked ?? '') ?? languageOfTag(sources.account ?? '') ?? firstLanguageOf(sources.acceptLanguage ?? []) ?? sources.fallback
  );
}

interface Context {
  cookies: Cookies;
  defaultLocale: Language;
}

interface Preferences {
  uiLocales?: readonly string[];
  account?: { locale: string | null; timeZone: string | null };
}

const contexts = new WeakMap<Request, Context>();
const preferences = new WeakMap<Request, Preferences>();
const decided = new WeakMap<Request, PageLocale>();

/** Called once per request by the localization middleware: where the cookies and the default come from. */
export function bindLocaleContext(req: Request, context: Context): void {
  contexts.set(req, context);
}

function prefer(req: Request, patch: Preferences): void {
  preferences.set(req, { ...preferences.get(req), ...patch });
  decided.delete(req);
}

/** The pages of a pending sign-in: the application's ui_locales (space-separated, as the request carried it). */
export function preferRequestLocales(req: Request, uiLocales: string | readonly string[] | undefined): void {
  if (uiLocales === undefined) return;
  prefer(req, { uiLocales: typeof uiLocales === 'string' ? uiLocales.split(' ').filter(Boolean) : uiLocales });
}

/** A signed-in person's saved language and time zone (account pages, the device page, mails sent from a page). */
export function preferAccount(req: Request, account: { locale: string | null; timeZone: string | null }): void {
  prefer(req, { account: { locale: account.locale, timeZone: account.timeZone } });
}

/** The page's language and formatters, decided once per request (again after a preference changes it). */
export function localeOf(req: Request): PageLocale {
  const known = decided.get(req);
  if (known) return known;
  const context = contexts.get(req);
  const wanted = preferences.get(req) ?? {};
  const language = chooseLanguage({
    uiLocales: wanted.uiLocales,
    picked: context?.cookies.read(req, 'language'),
    account: wanted.account?.locale,
    acceptLanguage: typeof req.acceptsLanguages === 'function' ? req.acceptsLanguages() : [],
    fallback: context?.defaultLocale ?? 'en',
  });
  const timeZone = wanted.account?.timeZone ?? context?.cookies.read(req, 'time_zone') ?? null;
  const locale: PageLocale = { language, dir: directionOf(language), t: translatorFor(language), dates: dateFormatter(language, timeZone) };
  decided.set(req, locale);
  return locale;
}

/** The same for a language known outright (a mail to a person whose account says which). */
export function localeFor(language: Language, timeZone: string | null): PageLocale {
  return { language, dir: directionOf(language), t: translatorFor(language), dates: dateFormatter(language, timeZone) };
}
