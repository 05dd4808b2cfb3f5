// The list of passwords seen in breaches (NIST SP 800-63B-4 §3.1.1.2: "passwords obtained from previous breach
// corpuses"): resources/common-passwords.txt.gz as shipped (scripts/build-common-passwords.mjs), and its lookup
// (src/auth/common-passwords.ts), read on first use and kept: each test here loads the lookup module afresh, so
// that what it checks is the list as read from the file by a process that has not read it before.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isCommonPassword } from '../../src/auth/common-passwords.js';
import { checkPasswordPolicy } from '../../src/auth/password-policy.js';
import { ValidationError } from '../../src/errors.js';
import { resourcesDir } from '../../src/paths.js';

type Lookup = typeof import('../../src/auth/common-passwords.js');

let loads = 0;

/** The lookup module evaluated afresh (a query makes it a module of its own): the list not yet read. */
async function freshLookup(): Promise<Lookup> {
  loads += 1;
  return (await import(/* @vite-ignore */ `../../src/auth/common-passwords.js?fresh=${loads}`)) as Lookup;
}

/** The shipped file's entries, read here independently of the lookup. */
function shippedEntries(): string[] {
  const text = gunzipSync(readFileSync(path.join(resourcesDir, 'common-passwords.txt.gz'))).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('resources/common-passwords.txt.gz', () => {
  let entries: string[];
  beforeAll(() => {
    entries = shippedEntries();
  });

  it('holds more than 100,000 entries, thousands of them 15 characters or longer', () => {
    expect(entries.length).toBeGreaterThan(100_000);
    expect(entries.filter((entry) => [...entry].length >= 15).length).toBeGreaterThan(9_000);
    for (const long of ['1qaz2wsx3edc4rfv', 'polniypizdec0211', '12345678901234567890']) expect(entries).toContain(long);
  });

  it('holds only entries of at least 8 characters, in NFKC and lower case, each once, sorted by their bytes', () => {
    const misplaced: string[] = [];
    let previous = Buffer.alloc(0);
    for (const entry of entries) {
      const bytes = Buffer.from(entry, 'utf8');
      if ([...entry].length < 8 || entry.normalize('NFKC').toLowerCase() !== entry || Buffer.compare(previous, bytes) !== -1) misplaced.push(entry);
      previous = bytes;
    }
    expect(misplaced).toEqual([]);
  });
});

describe('the lookup, as first read (NIST SP 800-63B-4 §3.1.1.2)', () => {
  let lookup: Lookup;
  let entries: string[];
  beforeAll(() => {
    entries = shippedEntries();
  });
  beforeEach(async () => {
    lookup = await freshLookup();
  });

  it('finds its first, a middle and its last entry, whatever the case typed', () => {
    const middle = entries[entries.length >> 1] ?? '';
    for (const entry of [entries[0] ?? '', middle, entries.at(-1) ?? '']) {
      expect(lookup.isCommonPassword(entry), entry).toBe(true);
      expect(lookup.isCommonPassword(entry.toUpperCase()), entry).toBe(true);
    }
    for (const password of ['password', 'PassWord', 'baseball', 'Mailcreated5240']) expect(lookup.isCommonPassword(password), password).toBe(true);
  });

  it('finds no password that is not on it: its neighbours, a prefix, one character more, the empty string', () => {
    for (const password of ['qzvbwkro', 'passwor', 'password\n', 'password ', '\npassword', 'mailcreated524', '', '\u{10ffff}'.repeat(8)]) {
      expect(lookup.isCommonPassword(password), JSON.stringify(password)).toBe(false);
    }
  });

  it('answers as the lookup the process loaded first does', () => {
    for (const password of ['password', 'lizaveta', 'qzvbwkro', entries[1234] ?? '']) expect(lookup.isCommonPassword(password)).toBe(isCommonPassword(password));
  });

  it('is what the policy refuses as seen in breaches, and a long entry is refused at the default minimum', () => {
    let caught: unknown;
    try {
      checkPasswordPolicy('PolniyPizdec0211', { email: 'grace.hopper@example.com', minLength: 15 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).message).toBe('the password is on a list of passwords seen in breaches');
  });
});
