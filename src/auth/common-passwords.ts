// The list of passwords seen in breaches that the password policy refuses (NIST SP 800-63B-4 §3.1.1.2: "passwords
// obtained from previous breach corpuses"): resources/common-passwords.txt.gz, the 474,743 distinct entries of at
// least 8 characters among SecLists' most common 1,000,000 passwords, in NFKC and lower case, sorted by their UTF-8
// bytes, one per line (scripts/build-common-passwords.mjs says where it comes from and how it is made).
//
// Read and unzipped once per process, on the first lookup (a process that never judges a password never pays
// for it), and kept as the one Buffer it unzips to (4.7 MB): a lookup is a binary search over its bytes, about 19
// halvings, with no string per entry (a Set of half a million strings would take several times the memory and
// far longer to build).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { resourcesDir } from '../paths.js';

const LIST_FILE = path.join(resourcesDir, 'common-passwords.txt.gz');
const NEWLINE = 0x0a;

let list: Buffer | undefined;

/** The list as read from the file, on first use. */
function loaded(): Buffer {
  list ??= gunzipSync(readFileSync(LIST_FILE));
  return list;
}

/** Where the line holding byte `offset` starts: just after the newline before it, or at 0. */
function lineStart(bytes: Buffer, offset: number): number {
  // lastIndexOf from offset - 1 finds the previous line's end; -1 (none) makes the first line start at 0.
  return bytes.lastIndexOf(NEWLINE, offset - 1) + 1;
}

/**
 * Whether `candidate`, a password already in NFKC (src/auth/password-hash.ts), is on the list whatever its
 * case: it is lower-cased as the entries were. Every entry ends with a newline, so each probe is one whole entry.
 */
export function isCommonPassword(candidate: string): boolean {
  const bytes = loaded();
  const wanted = Buffer.from(candidate.toLowerCase(), 'utf8');
  // Entries are sorted by bytes: search the lines whose start lies in [low, high).
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const start = lineStart(bytes, (low + high) >>> 1);
    const end = bytes.indexOf(NEWLINE, start);
    const order = Buffer.compare(bytes.subarray(start, end), wanted);
    if (order === 0) return true;
    if (order < 0) low = end + 1;
    else high = start;
  }
  return false;
}
