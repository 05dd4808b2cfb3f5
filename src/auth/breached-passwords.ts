// A local copy of a breach corpus (BREACHED_PASSWORDS_FILE), looked up without the network and without reading it
// into memory: the file Have I Been Pwned's downloader writes (PwnedPasswordsDownloader, SHA-1 mode) holds one
// upper-case hex SHA-1 per line, sorted, each followed by `:count` (e.g. `000000005AD76BD555C1D6D771DE417A4B87E4B4:4`),
// lines ending in LF or CRLF; some 40 GB. A lookup is a binary search over byte offsets, two reads of 256 bytes per
// halving (about 24 halvings for the full corpus), then one read of the last few kilobytes.
// NIST SP 800-63B-4 §3.1.1.2: compare passwords against values known to be compromised.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { ConfigError, ValidationError } from '../errors.js';
import { REASONS } from './password-strength.js';

const HASH_LENGTH = 40;
/** A line is a hash, an optional `:count` and an optional CR: far less than this. */
const PROBE_BYTES = 256;
/** Below this many bytes the search reads the rest at once and scans it. */
const SCAN_WINDOW = 4096;
/** Lines sampled at opening to catch an unsorted or foreign file (a full check would read the whole corpus). */
const SAMPLED_LINES = 64;
const LINE_PATTERN = /^[0-9A-F]{40}(:\d+)?$/;

const NEWLINE = 0x0a;

/**
 * The SHA-1 of a password as the corpus writes it: upper-case hex of its UTF-8 bytes as typed (the corpus hashes
 * the strings found in breaches, not our NFKC form).
 */
export function breachKey(password: string): string {
  return createHash('sha1').update(password).digest('hex').toUpperCase();
}

/**
 * Refuses a new password found in the corpus, wherever one is set (the admin screens, the account page, the reset
 * form, the new password at sign-in, `idp`): one set there would be asked to change at the next sign-in. No
 * corpus configured: nothing to refuse.
 */
export async function refuseBreached(corpus: BreachedPasswords | null | undefined, password: string): Promise<void> {
  if (corpus && (await corpus.contains(password))) throw new ValidationError('password', `the password ${REASONS.breached}`).shown('password.breached');
}

/** The corpus is not what it should be (found while looking up, past the sample taken at opening). */
export class BreachedFileError extends Error {
  override name = 'BreachedFileError';
}

interface Line {
  start: number;
  /** The offset just past its newline (the next line's start). */
  next: number;
  key: string;
}

export interface BreachedPasswordsOptions {
  /**
   * Below this many bytes the search reads the rest at once and scans it (default 4 KiB). Tests set it down to 1
   * to run the binary search down to single lines.
   */
  scanWindow?: number;
}

export class BreachedPasswords {
  /** What the lookups asked of the file so far (reads and bytes): bounded per lookup, whatever the corpus's size. */
  readonly reads = { calls: 0, bytes: 0 };

  private constructor(
    private readonly file: FileHandle,
    private readonly size: number,
    private readonly scanWindow: number,
  ) {}

  /**
   * Opens the corpus and samples it: a file that is empty, not SHA-1 lines, or visibly unsorted is refused here
   * (ConfigError, so the server does not start), never half-used.
   */
  static async open(filePath: string, { scanWindow = SCAN_WINDOW }: BreachedPasswordsOptions = {}): Promise<BreachedPasswords> {
    let file: FileHandle;
    try {
      file = await open(filePath, 'r');
    } catch (error) {
      throw new ConfigError('BREACHED_PASSWORDS_FILE', `cannot be opened: ${(error as Error).message}`);
    }
    try {
      const { size } = await file.stat();
      const corpus = new BreachedPasswords(file, size, scanWindow);
      await corpus.sample(filePath);
      return corpus;
    } catch (error) {
      await file.close();
      if (error instanceof BreachedFileError) throw new ConfigError('BREACHED_PASSWORDS_FILE', `${filePath}: ${error.message}`);
      throw error;
    }
  }

  /** Whether the password's SHA-1 is in the corpus. */
  async contains(password: string): Promise<boolean> {
    return this.containsKey(breachKey(password));
  }

  async containsKey(key: string): Promise<boolean> {
    // Invariant: a line holding `key`, if any, starts in [lo, hi); lo is always a line start.
    let lo = 0;
    let hi = this.size;
    // Stryker disable next-line EqualityOperator: equivalent; a window of exactly scanWindow bytes is scanned either way
    while (hi - lo > this.scanWindow) {
      const mid = Math.floor((lo + hi) / 2);
      const line = await this.lineFrom(mid);
      if (line === null || line.start >= hi) {
        hi = mid;
        continue;
      }
      if (line.key === key) return true;
      // Stryker disable next-line EqualityOperator: equivalent; equal keys returned on the line above
      if (line.key < key) lo = line.next;
      else hi = line.start;
    }
    return this.scan(lo, hi, key);
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** The first whole line that starts at `position` or after it; null past the last line. */
  private async lineFrom(position: number): Promise<Line | null> {
    let start = 0;
    if (position > 0) {
      // A line starts just after a newline: look from the byte before `position`.
      const before = await this.read(position - 1, PROBE_BYTES);
      const newline = before.indexOf(NEWLINE);
      if (newline === -1) {
        // Stryker disable next-line ArithmeticOperator: the two differ only on a corrupt file's last two bytes, between "no line here" and "line too long"
        if (position - 1 + before.length >= this.size) return null;
        throw new BreachedFileError(`a line near byte ${position} is longer than ${PROBE_BYTES} bytes`);
      }
      start = position + newline;
    }
    if (start >= this.size) return null;
    const bytes = await this.read(start, PROBE_BYTES);
    const end = bytes.indexOf(NEWLINE);
    if (end === -1 && start + bytes.length < this.size) throw new BreachedFileError(`the line at byte ${start} is longer than ${PROBE_BYTES} bytes`);
    return { start, next: end === -1 ? this.size : start + end + 1, key: keyOf(bytes.subarray(0, HASH_LENGTH).toString('latin1')) };
  }

  /** Reads [lo, hi) plus the rest of the line that starts last in it, and looks for `key` among its lines. */
  private async scan(lo: number, hi: number, key: string): Promise<boolean> {
    const text = (await this.read(lo, hi - lo + PROBE_BYTES)).toString('latin1');
    let offset = 0;
    // Stryker disable next-line EqualityOperator,ArithmeticOperator: equivalent; a line starting at hi or later is past the key (the invariant), so checking it changes no answer
    while (offset < hi - lo) {
      const end = text.indexOf('\n', offset);
      const candidate = keyOf(text.slice(offset, offset + HASH_LENGTH));
      if (candidate === key) return true;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent; stopping at a greater key only saves work within the window
      if (candidate > key || end === -1) return false;
      offset = end + 1;
    }
    return false;
  }

  private async read(position: number, length: number): Promise<Buffer> {
    // Stryker disable next-line ArithmeticOperator: equivalent; a buffer longer than the rest of the file is filled with the same bytes
    const buffer = Buffer.alloc(Math.min(length, this.size - position));
    const { bytesRead } = await this.file.read(buffer, 0, buffer.length, position);
    this.reads.calls += 1;
    this.reads.bytes += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  private async sample(filePath: string): Promise<void> {
    if (this.size === 0) throw new ConfigError('BREACHED_PASSWORDS_FILE', `${filePath} is empty`);
    let previous = '';
    // Stryker disable next-line EqualityOperator: equivalent; the 65th sample would start at the end of the file, where no line starts
    for (let i = 0; i < SAMPLED_LINES; i++) {
      const line = await this.lineFrom(Math.floor((this.size * i) / SAMPLED_LINES));
      if (line === null) continue;
      // Stryker disable next-line Regex: equivalent; the bytes read end at the line's newline, the only one they hold
      const text = (await this.read(line.start, line.next - line.start)).toString('latin1').replace(/\r?\n$/, '');
      if (!LINE_PATTERN.test(text)) {
        throw new ConfigError(
          'BREACHED_PASSWORDS_FILE',
          `${filePath} is not a file of upper-case SHA-1 hashes, one per line (as the Have I Been Pwned downloader writes in SHA-1 mode); found ${JSON.stringify(text.slice(0, 60))} at byte ${line.start}`,
        );
      }
      if (line.key < previous) throw new ConfigError('BREACHED_PASSWORDS_FILE', `${filePath} is not sorted (at byte ${line.start}); sort it by hash`);
      previous = line.key;
    }
  }
}

/** The hash of a line: its first 40 characters, before `:count` or a CR (the sample checks the lines' form). */
function keyOf(line: string): string {
  return line.slice(0, HASH_LENGTH);
}
