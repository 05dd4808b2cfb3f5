// The translations: one JSON file per language under locales/ (translators edit those alone, no code), read once
// when this module loads, into one i18next instance. Values are interpolated unescaped: every view escapes what it
// prints (`<%= %>`), and mails and JSON need the plain text, so escaping here would escape twice.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import i18next, { type TFunction } from 'i18next';
import { packageRoot } from '../paths.js';
import { LANGUAGES, type Language } from './languages.js';

export const localesDir = path.join(packageRoot, 'locales');

export type Messages = { [key: string]: string | Messages };

/** The resource file of a language, parsed. */
export function readMessages(language: Language): Messages {
  return JSON.parse(readFileSync(path.join(localesDir, `${language}.json`), 'utf8')) as Messages;
}

const instance = i18next.createInstance();
void instance.init({
  initAsync: false,
  resources: Object.fromEntries(LANGUAGES.map((language) => [language, { translation: readMessages(language) }])),
  supportedLngs: [...LANGUAGES],
  // A key missing in one language shows the English text rather than the key (test/unit/locales.test.ts fails
  // first: every key must exist in every language).
  fallbackLng: 'en',
  load: 'languageOnly',
  interpolation: { escapeValue: false },
  returnNull: false,
  returnEmptyString: false,
});

const translators = new Map<Language, TFunction>(LANGUAGES.map((language) => [language, instance.getFixedT(language)]));

/** The text of `key` in `language`; plural forms by `count` (Intl.PluralRules, `_one`, `_other`, … suffixes). */
export type Translate = (key: string, values?: Record<string, unknown>) => string;

export function translatorFor(language: Language): Translate {
  const t = translators.get(language) ?? instance.getFixedT('en');
  return (key, values) => t(key, values ?? {});
}

/** Whether `key` has a text of its own in `language` (plural keys by their base name), for the locale tests. */
export function hasKey(language: Language, key: string): boolean {
  return instance.exists(key, { lng: language, fallbackLng: false });
}
