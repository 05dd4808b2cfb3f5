// The languages Gatehouse speaks (issue 25): one resource file each under locales/ (src/i18n/catalog.ts), named by
// its BCP 47 primary language subtag. Adding a language is adding its file and its line here (README, "Languages").

export const LANGUAGES = ['en', 'de', 'fr', 'es', 'ja', 'ar'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's own name for itself, as the switcher offers it (so a person finds theirs whatever the page's). */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  ja: '日本語',
  ar: 'العربية',
};

/** Written right to left: the page gets dir="rtl" and the layout mirrors (CSS logical properties). */
const RIGHT_TO_LEFT: ReadonlySet<Language> = new Set<Language>(['ar']);

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function directionOf(language: Language): 'ltr' | 'rtl' {
  return RIGHT_TO_LEFT.has(language) ? 'rtl' : 'ltr';
}

/**
 * The language a BCP 47 tag asks for, or null: compared without case on its primary subtag, so `de-AT`, `DE` and
 * `de-Latn-CH` are German (RFC 4647 §3.4 lookup, down to the primary subtag, which is all we ship).
 */
export function languageOfTag(tag: string): Language | null {
  const primary = tag.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  return isLanguage(primary) ? primary : null;
}

/** The first tag of a list, in order of preference, that names a language we speak. */
export function firstLanguageOf(tags: readonly string[]): Language | null {
  for (const tag of tags) {
    const language = languageOfTag(tag);
    if (language) return language;
  }
  return null;
}
