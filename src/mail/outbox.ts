// The default transport: every message becomes an RFC 5322 file in DATA_DIR/outbox/ (an `.eml` any mail client
// opens), so password resets work out of the box; the operator forwards or opens the file. The files hold
// single-use links, hence owner-only permissions.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import type { Mailer, MailMessage } from './mailer.js';
import { loadNodemailer } from './nodemailer.js';

export interface OutboxOptions {
  dir: string;
  from: string;
  logger: Logger;
}

/** `20260102T030405.678Z`: UTC, sorts as it reads, no colons (not allowed in Windows file names). */
function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '');
}

/** Builds the RFC 5322 message with nodemailer's stream transport, without sending it anywhere. */
async function openComposer() {
  const { createTransport } = await loadNodemailer();
  // RFC 5322 §2.1 lines end in CRLF; `buffer` hands the whole message back instead of a stream.
  return createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
}

export function openOutbox(options: OutboxOptions): Mailer {
  // Opened on the first send: nodemailer is only loaded when there is mail (src/mail/nodemailer.ts).
  let composer: ReturnType<typeof openComposer> | undefined;
  // Orders files written in the same millisecond, so readers listing the outbox by name see them in send order.
  let sequence = 0;

  return {
    async send(message: MailMessage): Promise<void> {
      const name = `${timestamp(new Date())}-${String(++sequence).padStart(6, '0')}-${randomBytes(6).toString('hex')}.eml`;
      composer ??= openComposer();
      const info = await (await composer).sendMail({ from: options.from, ...message });
      if (!Buffer.isBuffer(info.message)) throw new Error('nodemailer returned a stream despite buffer: true');
      // Every time, not once: an operator may have moved the outbox away to process it.
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
      const file = path.join(options.dir, name);
      await writeAtomically(file, info.message);
      // The path only: subject and body hold the single-use link.
      options.logger.info({ path: file }, 'mail written to the outbox');
    },
    async close(): Promise<void> {
      (await composer?.catch(() => undefined))?.close();
    },
  };
}

/**
 * Writes under a hidden temporary name, then renames: rename(2) within a directory is atomic, so whoever lists
 * `*.eml` (an operator's script, the tests) sees either no file or the whole message. No fsync: a mail lost to a
 * power cut is asked for again, and the wait would hold up the page that sent it.
 */
async function writeAtomically(file: string, content: Buffer): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
