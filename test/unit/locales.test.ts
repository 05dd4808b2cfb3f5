// Issue 25: a translation missing from one language fails here, not on a page. Every language has exactly the
// keys English has (a plural key the forms its own plural rules need: Intl.PluralRules, as i18next picks them),
// every text is a non-empty string with the same {{placeholders}} as the English one, and every key the views and
// the source name literally (t('…')) exists.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMessages, type Messages } from '../../src/i18n/catalog.js';
import { LANGUAGES, type Language } from '../../src/i18n/languages.js';
import { packageRoot } from '../../src/paths.js';

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

function flatten(messages: Messages, prefix = ''): Map<string, string> {
  const flat = new Map<string, string>();
  for (const [key, value] of Object.entries(messages)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') flat.set(name, value);
    else for (const [inner, text] of flatten(value, name)) flat.set(inner, text);
  }
  return flat;
}

/** Keys without plural suffixes; plural bases map to the set of categories present. */
function shape(flat: Map<string, string>): { plain: Set<string>; plural: Map<string, Set<string>> } {
  const plain = new Set<string>();
  const plural = new Map<string, Set<string>>();
  for (const key of flat.keys()) {
    const match = PLURAL_SUFFIX.exec(key);
    if (match) {
      const base = key.slice(0, -match[0].length);
      plural.set(base, (plural.get(base) ?? new Set()).add(match[1] ?? ''));
    } else plain.add(key);
  }
  return { plain, plural };
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((match) => match[1] ?? '').sort();
}

const messages = Object.fromEntries(LANGUAGES.map((language) => [language, flatten(readMessages(language))])) as Record<Language, Map<string, string>>;
const english = shape(messages.en);

function sourceFiles(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => extensions.some((extension) => file.endsWith(extension)))
    .map((file) => path.join(dir, file));
}

describe('the translations (locales/*.json)', () => {
  it('has one file per language we ship, and nothing else', () => {
    const files = readdirSync(path.join(packageRoot, 'locales')).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(LANGUAGES.map((language) => `${language}.json`).sort());
  });

  for (const language of LANGUAGES) {
    describe(language, () => {
      const own = shape(messages[language]);
      const categories = new Set(new Intl.PluralRules(language).resolvedOptions().pluralCategories);

      it('has every key English has, and none English lacks', () => {
        expect([...own.plain].sort()).toEqual([...english.plain].sort());
        expect([...own.plural.keys()].sort()).toEqual([...english.plural.keys()].sort());
      });

      it("has each plural key in exactly the forms the language's plural rules use", () => {
        for (const [base, forms] of own.plural) expect([...forms].sort(), base).toEqual([...categories].sort());
      });

      it('has no empty text, and the placeholders of the English text', () => {
        for (const [key, text] of messages[language]) {
          expect(text.trim(), key).not.toBe('');
          const base = key.replace(PLURAL_SUFFIX, '');
          const englishText = messages.en.get(key) ?? messages.en.get(`${base}_other`) ?? '';
          // `count` may be left out of a plural form that says it in words ("one item", "zero items").
          const expected = placeholders(englishText).filter((name) => !(PLURAL_SUFFIX.test(key) && name === 'count'));
          const actual = placeholders(text).filter((name) => !(PLURAL_SUFFIX.test(key) && name === 'count'));
          expect(actual, key).toEqual(expected);
        }
      });
    });
  }

  it('holds every key the views and the source name', () => {
    const files = [...sourceFiles(path.join(packageRoot, 'views'), ['.ejs']), ...sourceFiles(path.join(packageRoot, 'src'), ['.ts'])];
    const used = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([A-Za-z0-9_.-]+)'/g)) used.add(match[1] ?? '');
    }
    expect(used.size).toBeGreaterThan(0);
    const missing = [...used].filter((key) => !english.plain.has(key) && !english.plural.has(key) && !messages.en.has(key));
    expect(missing).toEqual([]);
  });
});
