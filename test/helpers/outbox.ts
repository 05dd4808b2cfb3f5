// Reads the mail Gatehouse wrote to DATA_DIR/outbox/ (src/mail/outbox.ts), as a person's mail client would.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser, type AddressObject } from 'mailparser';

export interface ReceivedMail {
  /** The .eml file's name inside the outbox ('' for a message that did not come from a file). */
  file: string;
  /** The sender's display name ('' without one) and bare address. */
  from: { name: string; address: string };
  /** The first recipient's bare address. */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Every http(s) URL in the text part, in order. */
  links: string[];
}

const LINK = /https?:\/\/[^\s<>"]+/g;

function firstAddress(field: AddressObject | AddressObject[] | undefined): { name: string; address: string } {
  const first = (Array.isArray(field) ? field[0] : field)?.value[0];
  return { name: first?.name ?? '', address: first?.address ?? '' };
}

/** Parses one RFC 5322 message (an .eml file's bytes, or what an SMTP server received). */
export async function parseMail(source: Buffer, file = ''): Promise<ReceivedMail> {
  const parsed = await simpleParser(source);
  const text = parsed.text ?? '';
  return {
    file,
    from: firstAddress(parsed.from),
    to: firstAddress(parsed.to).address,
    subject: parsed.subject ?? '',
    text,
    html: parsed.html || '',
    links: text.match(LINK) ?? [],
  };
}

async function emlFiles(outbox: string): Promise<string[]> {
  try {
    // Only finished files: the outbox writes `.NAME.eml.tmp` and renames it, so a name ending in .eml is whole.
    // Names start with a UTC timestamp and a per-process sequence number, so their order is the send order.
    return (await readdir(outbox)).filter((name) => name.endsWith('.eml') && !name.startsWith('.')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Parsed mails by file name: a file never changes once it is there, so each is parsed once per test process. */
const parsedFiles = new Map<string, Promise<ReceivedMail>>();

function readMail(file: string): Promise<ReceivedMail> {
  let mail = parsedFiles.get(file);
  if (!mail) {
    mail = readFile(file).then((bytes) => parseMail(bytes, path.basename(file)));
    parsedFiles.set(file, mail);
    mail.catch(() => parsedFiles.delete(file));
  }
  return mail;
}

/** Every .eml in dir/outbox, oldest first, parsed. */
export async function readOutbox(dataDir: string): Promise<ReceivedMail[]> {
  const outbox = path.join(dataDir, 'outbox');
  return Promise.all((await emlFiles(outbox)).map((name) => readMail(path.join(outbox, name))));
}

/**
 * Waits (polling every 20 ms, at most timeoutMs, default 5000) until a mail to `to` (and whose subject matches,
 * if given) has arrived beyond the first `skip` such mails; throws a clear error on timeout.
 */
export async function waitForMail(dataDir: string, to: string, options: { subject?: RegExp; skip?: number; timeoutMs?: number } = {}): Promise<ReceivedMail> {
  const { subject, skip = 0, timeoutMs = 5000 } = options;
  const wanted = (mail: ReceivedMail) => mail.to.toLowerCase() === to.toLowerCase() && (!subject || mail.subject.search(subject) !== -1);
  const deadline = Date.now() + timeoutMs;
  let mails: ReceivedMail[];
  // Bounded by the deadline: at most timeoutMs / 20 rounds.
  for (;;) {
    mails = await readOutbox(dataDir);
    const matching = mails.filter(wanted);
    if (matching.length > skip) return matching[skip]!;
    if (Date.now() >= deadline) break;
    await sleep(20);
  }
  const seen = mails.length === 0 ? 'the outbox is empty' : `the outbox holds ${mails.map((mail) => `${JSON.stringify(mail.subject)} to ${mail.to}`).join('; ')}`;
  throw new Error(`no mail to ${to}${subject ? ` with a subject matching ${subject}` : ''} beyond the first ${skip} arrived in ${path.join(dataDir, 'outbox')} within ${timeoutMs} ms: ${seen}`);
}
