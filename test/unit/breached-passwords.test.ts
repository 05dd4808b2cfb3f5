// BREACHED_PASSWORDS_FILE lookups (src/auth/breached-passwords.ts) on generated corpora in the format the Have I
// Been Pwned downloader writes (SHA-1 mode: upper-case hex, sorted, `:count`, LF or CRLF). Every present hash is
// found and every absent one is not, whatever its place (before the first, between two, after the last line).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BreachedFileError, BreachedPasswords, breachKey } from '../../src/auth/breached-passwords.js';
import { ConfigError } from '../../src/errors.js';
import { randomHashes, sha1, writeCorpus, type CorpusShape } from '../helpers/breach-corpus.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-breached-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function corpus(name: string, hashes: string[], shape?: CorpusShape): string {
  return writeCorpus(path.join(dir, name), hashes, shape);
}

const breached = ['Password1!', 'correct horse battery staple', 'iloveyouiloveyou', 'Pässwörter sind überall', '🔑🔑🔑🔑🔑🔑🔑🔑'];
const random = randomHashes(20_000);
const present = [...new Set([...random, ...breached.map(sha1)])].sort();

const variants = [
  { crlf: false, counts: true, finalNewline: true },
  { crlf: true, counts: true, finalNewline: true },
  { crlf: false, counts: false, finalNewline: true },
  { crlf: true, counts: false, finalNewline: true },
  { crlf: false, counts: false, finalNewline: false },
  { crlf: true, counts: true, finalNewline: false },
];

describe('breached-password corpus lookups', () => {
  // The default window ends most searches in a scan of the last 4 KiB; a window of 1 and of one line's length
  // runs the binary search itself down to single lines.
  for (const variant of variants)
    for (const scanWindow of [undefined, 1, 45]) {
      it(`finds every hash and nothing else (${variant.crlf ? 'CRLF' : 'LF'}, ${variant.counts ? 'with' : 'without'} counts, ${variant.finalNewline ? '' : 'no '}final newline, scan window ${scanWindow ?? 'default'})`, async () => {
        const corpusFile = corpus(`corpus-${variant.crlf}-${variant.counts}-${variant.finalNewline}.txt`, present, variant);
        const lookup = await BreachedPasswords.open(corpusFile, { scanWindow });
        try {
          for (const password of breached) expect(await lookup.contains(password)).toBe(true);
          for (const hash of present.filter((_, i) => i % 97 === 0)) expect(await lookup.containsKey(hash)).toBe(true);
          for (const hash of [...present.slice(0, 3), ...present.slice(-3)]) expect(await lookup.containsKey(hash)).toBe(true);
          // Absent: before the first line, after the last, and next to present ones.
          expect(await lookup.containsKey('0'.repeat(40))).toBe(present[0] === '0'.repeat(40));
          expect(await lookup.containsKey('F'.repeat(40))).toBe(present.at(-1) === 'F'.repeat(40));
          const presentSet = new Set(present);
          for (const hash of present.filter((_, i) => i % 211 === 0)) {
            const neighbour = hash.slice(0, 39) + (hash.endsWith('0') ? '1' : '0');
            expect(await lookup.containsKey(neighbour)).toBe(presentSet.has(neighbour));
          }
          expect(await lookup.contains('a long passphrase nobody has leaked yet 9f2c')).toBe(false);
          // As typed: the corpus hashes the leaked string, not our normalised form.
          expect(await lookup.contains('password1!')).toBe(false);
        } finally {
          await lookup.close();
        }
      });
    }

  it('reads a bounded amount per lookup: about two probes per halving, then one window', async () => {
    const corpusFile = corpus('bounded.txt', present);
    const size = statSync(corpusFile).size;
    for (const scanWindow of [undefined, 1]) {
      const lookup = await BreachedPasswords.open(corpusFile, { scanWindow });
      try {
        const window = scanWindow ?? 4096;
        const halvings = Math.ceil(Math.log2(size / window)) + 2;
        for (const key of [present[0] ?? '', present[12_345] ?? '', present.at(-1) ?? '', '0'.repeat(40), 'F'.repeat(40), sha1('absent')]) {
          const before = { ...lookup.reads };
          await lookup.containsKey(key);
          expect(lookup.reads.calls - before.calls).toBeGreaterThan(0);
          expect(lookup.reads.calls - before.calls).toBeLessThanOrEqual(2 * halvings + 1);
          expect(lookup.reads.bytes - before.bytes).toBeGreaterThan(0);
          expect(lookup.reads.bytes - before.bytes).toBeLessThanOrEqual(2 * halvings * 256 + window + 256);
        }
      } finally {
        await lookup.close();
      }
    }
  });

  it('refuses lookups once closed', async () => {
    const lookup = await BreachedPasswords.open(corpus('closed.txt', present.slice(0, 100)));
    await lookup.close();
    await expect(lookup.containsKey(present[0] ?? '')).rejects.toThrow();
  });

  it('stops at a line longer than a probe found while looking up, rather than answering from a broken file', async () => {
    // The sampled lines are sound; the last one is not (2,000 characters), and only a search that reaches it sees
    // it: probing from inside it, no line start is within reach.
    const file = path.join(dir, 'long-last-line.txt');
    const lines = present.slice(0, 5000).map((hash) => `${hash}:1\n`);
    writeFileSync(file, `${lines.join('')}${'F'.repeat(2000)}\n`);
    const lookup = await BreachedPasswords.open(file, { scanWindow: 1 });
    try {
      await expect(lookup.containsKey('F'.repeat(40))).rejects.toMatchObject({ name: 'BreachedFileError', message: expect.stringMatching(/^a line near byte \d+ is longer than 256 bytes$/) });
      await expect(lookup.containsKey('F'.repeat(40))).rejects.toBeInstanceOf(BreachedFileError);
      // Lines before it still answer.
      expect(await lookup.containsKey(present[0] ?? '')).toBe(true);
    } finally {
      await lookup.close();
    }
  });

  it('answers right for every line and every gap of small corpora, searched down to single lines', async () => {
    // Each shape of the search's edges: the last line with and without its newline, CRLF, counts or none.
    const keys = Array.from({ length: 6 }, (_, i) => sha1(`small corpus line ${i}`)).sort();
    const gaps = ['0'.repeat(40), ...keys.map((key) => key.slice(0, 39) + (key.endsWith('0') ? '1' : '0')), 'F'.repeat(40)].filter((gap) => !keys.includes(gap));
    let file = 0;
    for (let lines = 1; lines <= keys.length; lines++) {
      for (const variant of variants) {
        const present = keys.slice(0, lines);
        const lookup = await BreachedPasswords.open(corpus(`small-${file++}.txt`, present, variant), { scanWindow: 1 });
        try {
          for (const key of present) expect(await lookup.containsKey(key), `${lines} lines, ${JSON.stringify(variant)}: ${key}`).toBe(true);
          for (const gap of gaps) expect(await lookup.containsKey(gap), `${lines} lines, ${JSON.stringify(variant)}: ${gap}`).toBe(present.includes(gap));
        } finally {
          await lookup.close();
        }
      }
    }
  });

  it('works on a corpus of one line and of two lines', async () => {
    const one = await BreachedPasswords.open(corpus('one.txt', [sha1('only one')]));
    expect(await one.contains('only one')).toBe(true);
    expect(await one.contains('another')).toBe(false);
    await one.close();
    const two = await BreachedPasswords.open(corpus('two.txt', [sha1('first'), sha1('second')].sort()));
    expect(await two.contains('first')).toBe(true);
    expect(await two.contains('second')).toBe(true);
    expect(await two.contains('third')).toBe(false);
    await two.close();
  });

  it('breachKey is the upper-case SHA-1 of the UTF-8 bytes', () => {
    expect(breachKey('password')).toBe('5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8');
  });

  it('refuses a missing, empty, foreign or unsorted file when opening, naming the variable', async () => {
    await expect(BreachedPasswords.open(path.join(dir, 'missing.txt'))).rejects.toThrow(/^BREACHED_PASSWORDS_FILE cannot be opened: ENOENT/);
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '');
    await expect(BreachedPasswords.open(empty)).rejects.toMatchObject({ message: `BREACHED_PASSWORDS_FILE ${empty} is empty` });
    // NTLM mode (32 hex digits) and lower case are not what we hash.
    const ntlm = corpus('ntlm.txt', random.map((hash) => hash.slice(0, 32)).sort());
    await expect(BreachedPasswords.open(ntlm)).rejects.toThrow(ConfigError);
    const lower = corpus(
      'lower.txt',
      present.map((hash) => hash.toLowerCase()),
    );
    await expect(BreachedPasswords.open(lower)).rejects.toThrow(`BREACHED_PASSWORDS_FILE ${lower} is not a file of upper-case SHA-1 hashes`);
    const unsorted = corpus('unsorted.txt', [...present].reverse());
    await expect(BreachedPasswords.open(unsorted)).rejects.toThrow(`BREACHED_PASSWORDS_FILE ${unsorted} is not sorted (at byte `);
    // Something before or after the hash on a line.
    const prefixed = corpus(
      'prefixed.txt',
      present.map((hash) => `x${hash}`),
    );
    await expect(BreachedPasswords.open(prefixed)).rejects.toThrow(/upper-case SHA-1/);
    const suffixed = corpus(
      'suffixed.txt',
      present.map((hash) => `${hash}:12 extra`),
      { counts: false },
    );
    await expect(BreachedPasswords.open(suffixed)).rejects.toThrow(/upper-case SHA-1/);
  });

  it('quotes at most 60 characters of a foreign line', async () => {
    const file = path.join(dir, 'foreign.txt');
    writeFileSync(file, `${'x'.repeat(100)}\n`);
    const refusal = (await BreachedPasswords.open(file).then(
      () => new Error('opened'),
      (error: unknown) => error,
    )) as Error;
    expect(refusal.message).toContain(`found "${'x'.repeat(60)}" at byte 0`);
  });

  it('refuses a file of lines longer than a probe when opening, as a configuration error', async () => {
    const file = path.join(dir, 'long-lines.txt');
    writeFileSync(file, `${'A'.repeat(300)}\n${'B'.repeat(300)}\n`);
    await expect(BreachedPasswords.open(file)).rejects.toThrow(new RegExp(`^BREACHED_PASSWORDS_FILE ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the line at byte 0 is longer than 256 bytes`));
  });
});
