// BREACHED_PASSWORDS_FILE lookups (src/auth/breached-passwords.ts) on generated corpora in the format the Have I
// Been Pwned downloader writes (SHA-1 mode: upper-case hex, sorted, `:count`, LF or CRLF). Every present hash is
// found and every absent one is not, whatever its place (before the first, between two, after the last line).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BreachedPasswords, breachKey } from '../../src/auth/breached-passwords.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-breached-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();
}

function corpus(name: string, hashes: string[], { crlf = false, counts = true } = {}): string {
  const file = path.join(dir, name);
  const eol = crlf ? '\r\n' : '\n';
  writeFileSync(file, hashes.map((hash, i) => (counts ? `${hash}:${(i * 7919) % 100000}` : hash) + eol).join(''));
  return file;
}

const breached = ['Password1!', 'correct horse battery staple', 'iloveyouiloveyou', 'Pässwörter sind überall', '🔑🔑🔑🔑🔑🔑🔑🔑'];
const random = Array.from({ length: 20_000 }, () => randomBytes(20).toString('hex').toUpperCase());
const present = [...new Set([...random, ...breached.map(sha1)])].sort();

describe('breached-password corpus lookups', () => {
  for (const variant of [{ crlf: false, counts: true }, { crlf: true, counts: true }, { crlf: false, counts: false }, { crlf: true, counts: false }]) {
    it(`finds every hash and nothing else (${variant.crlf ? 'CRLF' : 'LF'}, ${variant.counts ? 'with' : 'without'} counts)`, async () => {
      const corpusFile = corpus(`corpus-${variant.crlf}-${variant.counts}.txt`, present, variant);
      const lookup = await BreachedPasswords.open(corpusFile);
      try {
        for (const password of breached) expect(await lookup.contains(password)).toBe(true);
        for (const hash of present.filter((_, i) => i % 97 === 0)) expect(await lookup.containsKey(hash)).toBe(true);
        expect(await lookup.containsKey(present[0] ?? '')).toBe(true);
        expect(await lookup.containsKey(present.at(-1) ?? '')).toBe(true);
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
    await expect(BreachedPasswords.open(path.join(dir, 'missing.txt'))).rejects.toThrow(/BREACHED_PASSWORDS_FILE cannot be opened/);
    writeFileSync(path.join(dir, 'empty.txt'), '');
    await expect(BreachedPasswords.open(path.join(dir, 'empty.txt'))).rejects.toThrow(/is empty/);
    // NTLM mode (32 hex digits) and lower case are not what we hash.
    const ntlm = corpus('ntlm.txt', random.map((hash) => hash.slice(0, 32)).sort());
    await expect(BreachedPasswords.open(ntlm)).rejects.toThrow(ConfigError);
    const lower = corpus('lower.txt', present.map((hash) => hash.toLowerCase()));
    await expect(BreachedPasswords.open(lower)).rejects.toThrow(/upper-case SHA-1/);
    const unsorted = corpus('unsorted.txt', [...present].reverse());
    await expect(BreachedPasswords.open(unsorted)).rejects.toThrow(/not sorted/);
  });
});
