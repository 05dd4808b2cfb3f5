// Breach corpora as the Have I Been Pwned downloader writes them in SHA-1 mode (upper-case hex, sorted, `:count`,
// LF or CRLF), for BREACHED_PASSWORDS_FILE in tests.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/** The upper-case SHA-1 of a password's UTF-8 bytes, as the corpus holds it. */
export function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();
}

/** `count` random hashes, as filler around the ones a test looks for. */
export function randomHashes(count: number): string[] {
  return Array.from({ length: count }, () => randomBytes(20).toString('hex').toUpperCase());
}

export interface CorpusShape {
  crlf?: boolean;
  counts?: boolean;
  finalNewline?: boolean;
}

/** Writes `hashes` (sorted by the caller) to `file`, one per line, in the given shape. */
export function writeCorpus(file: string, hashes: string[], { crlf = false, counts = true, finalNewline = true }: CorpusShape = {}): string {
  const eol = crlf ? '\r\n' : '\n';
  const text = hashes.map((hash, i) => (counts ? `${hash}:${(i * 7919) % 100000}` : hash) + eol).join('');
  writeFileSync(file, finalNewline ? text : text.slice(0, -eol.length));
  return file;
}

/** A sorted corpus holding these passwords among `filler` random hashes. */
export function corpusOf(file: string, passwords: string[], filler = 500, shape?: CorpusShape): string {
  return writeCorpus(file, [...passwords.map(sha1), ...randomHashes(filler)].sort(), shape);
}
