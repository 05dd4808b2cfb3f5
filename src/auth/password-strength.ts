// How guessable a password is, and why, for the password policy (src/auth/password-policy.ts). NIST SP 800-63B-4
// §3.1.1.2 asks verifiers to refuse "commonly used, expected, or compromised" passwords, naming "repetitive or
// sequential characters (e.g. 'aaaaaa', '1234abcd')" and "context-specific words, such as the name of the
// service, the username, and derivatives thereof", at any minimum length. zxcvbn (@zxcvbn-ts/core 4, with the
// common and English dictionaries) estimates the guesses an attacker who knows these patterns needs; the
// context-specific words are given to it as user inputs, so a password made of them counts as a few guesses.
//
// Threshold: a password is refused below 10^10 guesses, zxcvbn's "very unguessable" bound (score 4: strong
// protection against an offline attack on a slow hash such as our argon2id, about 12 days per account at the
// 10^4 guesses a second zxcvbn assumes for one). zxcvbn rates a password with no pattern at 10^n guesses for n
// characters, so with PASSWORD_MIN_LENGTH 8 or 9 the bound is 10^8 or 10^9: the minimum length keeps its meaning
// (a patternless password of that length passes). Measured: every password of the issue (`passwordpassword`,
// `1234567890123456`, …) is below 10^4.3; 4 or 5 random diceware or common words of 15 characters or more are
// above 10^10.9 in 4,000 draws (above 10^12 with spaces between the words); generated passwords
// (src/auth/generated-password.ts) above 10^22.
//
// zxcvbn and its dictionaries take about 0.3 s and 60 MiB to load and build: that happens once per process, on the
// first password judged, through require() so that the server's bundle does not carry them (scripts/bundle.mjs):
// a process that never judges a password never pays. A check is synchronous: 10-60 ms, at most about 150 ms
// (ANALYSED_LENGTH).
import { createRequire } from 'node:module';
import type { MatchExtended, ZxcvbnFactory } from '@zxcvbn-ts/core';

type Core = typeof import('@zxcvbn-ts/core');
type CommonPack = typeof import('@zxcvbn-ts/language-common');
type EnglishPack = typeof import('@zxcvbn-ts/language-en');

/** The plain reason a password is refused, after "the password" (README.md, Passwords). */
export const REASONS = {
  account: 'contains the name or email address of the account',
  service: 'contains the name of this service or its address',
  repeat: 'repeats one word or character',
  sequence: 'is a sequence like 1234 or abcd',
  keyboard: 'is a row of keys on the keyboard',
  date: 'is a date or a year',
  breached: 'is on a list of passwords seen in breaches',
  words: 'is a common word, name or password with small changes',
  guessable: 'is too easy to guess',
} as const;

export type Weakness = keyof typeof REASONS;

/**
 * The translation of each reason as a person reads it on a page (issue 25, locales/*.json section `password`):
 * "The password …." in the page's language. The English texts are REASONS as sentences.
 */
export const REASON_KEYS: Record<Weakness, string> = {
  account: 'password.account',
  service: 'password.service',
  repeat: 'password.repeat',
  sequence: 'password.sequence',
  keyboard: 'password.keyboard',
  date: 'password.date',
  breached: 'password.breached',
  words: 'password.words',
  guessable: 'password.guessable',
};

/** zxcvbn's score 4 (see the threshold above). */
export const MIN_GUESSES = 1e10;
/**
 * Only the first 64 characters are analysed: zxcvbn's dictionary search grows with the length times the l33t
 * variants tried, 2 to 4 s for 256 characters on one core, on the event loop. A longer password whose first 64
 * characters are guessable is refused; one whose first 64 are not has far more guesses than the bound.
 */
export const ANALYSED_LENGTH = 64;
/** l33t spellings tried per password (zxcvbn's default 100 made a check of 24 characters 60-110 ms; 16: about 20). */
const L33T_VARIANTS = 16;
/** Context words shorter than this (in UTF-16 units) would match inside ordinary words ("al" in "always"). */
const MIN_WORD_LENGTH = 3;

/** The bound for a configured minimum length: 10^10, or 10^minLength below 10 characters. */
export function minGuessesFor(minLength: number): number {
  return Math.min(MIN_GUESSES, 10 ** minLength);
}

/** The words of this account and of this service that a password must not be built from, in lower case. */
export interface ContextWords {
  /** The email's local part, its part before a '+', their pieces; the person's name, its words. */
  account: string[];
  /** The service's name and its words; the issuer's host and its labels but the last. */
  service: string[];
}

/** A phrase, the phrase without its separators, and its words, in NFKC lower case, each long enough to judge by. */
function wordsOf(phrase: string): string[] {
  const lowered = phrase.normalize('NFKC').trim().toLowerCase();
  const pieces = lowered.split(/[^\p{L}\p{N}]+/u);
  return [lowered, pieces.join(''), ...pieces].filter((word) => word.length >= MIN_WORD_LENGTH);
}

/** The issuer's host name, and for a name (not an address) its labels but the top-level one: `login`, `example`. */
function hostWords(issuer: string): string[] {
  if (!URL.canParse(issuer)) return [];
  const host = new URL(issuer).hostname.replace(/^\[|\]$/g, '');
  const address = host.includes(':') || /^[\d.]+$/.test(host);
  return [host, ...(address ? [] : host.split('.').slice(0, -1))].filter((word) => word.length >= MIN_WORD_LENGTH);
}

export interface ContextSources {
  email: string;
  name?: string | null;
  issuer?: string;
  serviceName: string;
}

export function contextWords({ email, name, issuer, serviceName }: ContextSources): ContextWords {
  const localPart = email.split('@')[0] ?? '';
  const account = [...wordsOf(localPart), ...wordsOf(localPart.split('+')[0] ?? ''), ...wordsOf(name ?? '')];
  const service = [...wordsOf(serviceName), ...hostWords(issuer ?? '')];
  return { account: [...new Set(account)], service: [...new Set(service)] };
}

interface Estimators {
  /** Every dictionary, the keyboards and the user inputs: the guesses. */
  full: ZxcvbnFactory;
  /** The keyboards and word sequences without the dictionaries, which would hide them ("qwerty" is a common password). */
  shape: ZxcvbnFactory;
}

let estimators: Estimators | undefined;

function loadEstimators(): Estimators {
  // Not imported: the bundle would then load them at start (see above). Their CommonJS builds load synchronously.
  const load = createRequire(import.meta.url);
  const core = load('@zxcvbn-ts/core') as Core;
  const common = load('@zxcvbn-ts/language-common') as CommonPack;
  const english = load('@zxcvbn-ts/language-en') as EnglishPack;
  const limits = { maxLength: ANALYSED_LENGTH, l33tMaxSubstitutions: L33T_VARIANTS };
  const naming = new core.Options();
  const sequences = Object.fromEntries(Object.entries(english.dictionary).filter(([name]) => naming.isWordSequence(name)));
  return {
    full: new core.ZxcvbnFactory({ dictionary: { ...common.dictionary, ...english.dictionary }, graphs: common.adjacencyGraphs, ...limits }),
    shape: new core.ZxcvbnFactory({ dictionary: sequences, graphs: common.adjacencyGraphs, ...limits }),
  };
}

/** How many characters of the analysed password each kind of match covers. */
function coverage<K extends string>(sequence: MatchExtended[], kindOf: (match: MatchExtended) => K | null): Map<K, number> {
  const covered = new Map<K, number>();
  for (const match of sequence) {
    const kind = kindOf(match);
    if (kind !== null) covered.set(kind, (covered.get(kind) ?? 0) + match.j - match.i + 1);
  }
  return covered;
}

/** A word of the account or the service the password is built with: as a user input, or repeated. */
function contextWeakness(sequence: MatchExtended[], words: ContextWords): Weakness | null {
  const kinds = new Set<Weakness>();
  const kindOfWord = (word: string): Weakness | null => (words.account.includes(word) ? 'account' : words.service.includes(word) ? 'service' : null);
  for (const match of sequence) {
    if (match.pattern === 'dictionary' && match.dictionaryName === 'userInputs') {
      kinds.add(kindOfWord(String(match.matchedWord)) ?? 'account');
    } else if (match.pattern === 'repeat') {
      const base = String(match.baseToken).toLowerCase();
      const word = [...words.account, ...words.service].find((candidate) => base.includes(candidate));
      if (word !== undefined) kinds.add(kindOfWord(word) ?? 'account');
    }
  }
  return kinds.has('account') ? 'account' : kinds.has('service') ? 'service' : null;
}

/**
 * The account's or the service's words when, together, they make up more than half of the password. zxcvbn alone
 * lets "grace hopper rules" or "my gatehouse pass" through: each boundary between words multiplies its estimate.
 */
function mostlyContext(password: string, words: ContextWords): Weakness | null {
  const lowered = password.toLowerCase();
  const covered = (list: string[]): boolean[] => {
    const marks = new Array<boolean>(lowered.length).fill(false);
    for (const word of list) {
      for (let at = lowered.indexOf(word); at !== -1; at = lowered.indexOf(word, at + 1)) marks.fill(true, at, at + word.length);
    }
    return marks;
  };
  const account = covered(words.account);
  const service = covered(words.service);
  const count = (marks: boolean[]) => marks.filter(Boolean).length;
  if (count(account.map((mark, at) => mark || (service[at] ?? false))) * 2 <= lowered.length) return null;
  return count(account) >= count(service) ? 'account' : 'service';
}

const SHAPES: Record<string, Weakness> = { repeat: 'repeat', sequence: 'sequence', wordSequence: 'sequence', spatial: 'keyboard', date: 'date', regex: 'date' };
/** Ties go to the first: a repeated sequence is told as repeated. */
const SHAPE_ORDER: Weakness[] = ['repeat', 'sequence', 'keyboard', 'date'];

/** The shape that makes up more than half of the password, if one does. */
function shapeWeakness(sequence: MatchExtended[], length: number): Weakness | null {
  const covered = coverage(sequence, (match) => SHAPES[match.pattern] ?? null);
  let best: Weakness | null = null;
  for (const shape of SHAPE_ORDER) if ((covered.get(shape) ?? 0) > (best === null ? 0 : (covered.get(best) ?? 0))) best = shape;
  return best !== null && (covered.get(best) ?? 0) * 2 > length ? best : null;
}

/** What the dictionaries say: one breached password from end to end, or mostly dictionary words. */
function dictionaryWeakness(sequence: MatchExtended[], length: number): Weakness | null {
  const dictionary = sequence.filter((match) => match.pattern === 'dictionary' && match.dictionaryName !== 'userInputs');
  if (dictionary.some((match) => String(match.dictionaryName).startsWith('passwords') && match.i === 0 && match.j === length - 1)) return 'breached';
  const covered = coverage(dictionary, () => 'words');
  return (covered.get('words') ?? 0) * 2 > length ? 'words' : null;
}

export interface StrengthOptions {
  /** On our list of passwords seen in breaches (src/auth/common-passwords.ts): refused whatever zxcvbn says. */
  listed: boolean;
  /** The bound: minGuessesFor(PASSWORD_MIN_LENGTH). */
  minGuesses: number;
}

/**
 * Null when `password` (in NFKC) is strong enough. Otherwise the one reason to give, the first that applies: more
 * than half of it is the account's or the service's words; or, when it is below the bound or on our list: it is
 * built with the account's words, or the service's (zxcvbn's user inputs, or repeated); more than half of it is
 * one shape (repeated, a sequence, a row of keys, a date); it is on a breach list (ours, or zxcvbn's from end to
 * end); more than half of it is dictionary words; else it is too easy to guess. The shape comes before the list:
 * "repeats one word" tells more than "seen in breaches".
 */
export function passwordWeakness(password: string, words: ContextWords, { listed, minGuesses }: StrengthOptions): Weakness | null {
  const context = mostlyContext(password, words);
  if (context !== null) return context;
  estimators ??= loadEstimators();
  const full = estimators.full.check(password, [...words.account, ...words.service]);
  if (!listed && full.guesses >= minGuesses) return null;
  const length = Math.min(password.length, ANALYSED_LENGTH);
  return (
    contextWeakness(full.sequence, words) ??
    shapeWeakness(estimators.shape.check(password).sequence, length) ??
    (listed ? 'breached' : null) ??
    dictionaryWeakness(full.sequence, length) ??
    'guessable'
  );
}
