// CONTRACT: outgoing mail without SMTP_URL lands as .eml files in DATA_DIR/outbox/.
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openMailer, type Mailer, type MailMessage } from '../../src/mail/mailer.js';
import { defaultBrand } from '../../src/branding/brand.js';
import { localeFor } from '../../src/i18n/page-locale.js';
import { renderMail } from '../../src/mail/templates.js';
import { readOutbox, waitForMail } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'c2VjcmV0LXNpbmdsZS11c2UtdG9rZW4tMDEyMzQ1Njc4OWFiY2RlZg';
const LINK = `https://id.example.com/reset-password?token=${TOKEN}`;

let dir: string;
let remove: () => void;
let logs: Record<string, unknown>[];
let mailer: Mailer;

function open(env: Record<string, string> = {}): Mailer {
  const config = loadConfig({ ISSUER: 'https://id.example.com', DATA_DIR: dir, ...env }, dir);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return openMailer(config, createLogger('info', sink));
}

async function resetMail(to: string): Promise<MailMessage> {
  return {
    to,
    ...(await renderMail('password-reset', { template: 'password-reset', name: 'Ann', issuer: 'https://id.example.com', link: LINK, minutes: 30 }, localeFor('en', null), defaultBrand)),
  };
}

const simple = (to: string, subject: string): MailMessage => ({ to, subject, text: `about ${subject}\n`, html: `<p>about ${subject}</p>` });

beforeEach(() => {
  ({ dir, remove } = tempDir());
  logs = [];
  mailer = open();
});

afterEach(async () => {
  await mailer.close();
  remove();
});

describe('the outbox (no SMTP_URL)', () => {
  it('writes an RFC 5322 message that a mail parser reads back whole: From, To, subject, text and HTML parts', async () => {
    await mailer.send(await resetMail('ann@example.org'));
    const [mail, ...others] = await readOutbox(dir);
    expect(others).toEqual([]);
    expect(mail).toMatchObject({ from: { name: 'Gatehouse', address: 'no-reply@id.example.com' }, to: 'ann@example.org', subject: 'Reset your password at id.example.com' });
    expect(mail!.file).toMatch(/^\d{8}T\d{6}\.\d{3}Z-\d{6}-[0-9a-f]{12}\.eml$/);
    expect(mail!.text).toContain('Someone (hopefully you) asked to reset the password');
    expect(mail!.links).toEqual([LINK]);
    expect(mail!.html).toContain(`<a href="${LINK}">${LINK}</a>`);
  });

  it('ends every line with CRLF, as RFC 5322 §2.1 asks', async () => {
    await mailer.send(simple('ann@example.org', 'lines'));
    const [name] = readdirSync(path.join(dir, 'outbox'));
    const bytes = readFileSync(path.join(dir, 'outbox', name!), 'latin1');
    expect(bytes).toContain('\r\n');
    expect(bytes.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('sends From MAIL_FROM', async () => {
    await mailer.close();
    mailer = open({ MAIL_FROM: 'Example Sign-in <sso@example.org>' });
    await mailer.send(simple('ann@example.org', 'from'));
    expect((await readOutbox(dir))[0]!.from).toEqual({ name: 'Example Sign-in', address: 'sso@example.org' });
  });

  it('keeps the mail to its owner: the outbox directory is 0700 and each file 0600 (they hold single-use links)', async () => {
    await mailer.send(await resetMail('ann@example.org'));
    const outbox = path.join(dir, 'outbox');
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    const [name] = readdirSync(outbox);
    expect(statSync(path.join(outbox, name!)).mode & 0o777).toBe(0o600);
  });

  it('writes one file per message, listed in the order they were sent, and no temporary file is left', async () => {
    await mailer.send(simple('ann@example.org', 'first'));
    await mailer.send(simple('bob@example.org', 'second'));
    // Sent together, within one millisecond: the sequence in the name still orders them.
    await Promise.all(['third', 'fourth', 'fifth'].map((subject) => mailer.send(simple('ann@example.org', subject))));
    const mails = await readOutbox(dir);
    expect(mails.map((mail) => mail.subject)).toEqual(['first', 'second', 'third', 'fourth', 'fifth']);
    expect(new Set(mails.map((mail) => mail.file)).size).toBe(5);
    expect(readdirSync(path.join(dir, 'outbox')).every((name) => name.endsWith('.eml'))).toBe(true);
  });

  it('logs the path of the file at info, and never the subject, the body or the link', async () => {
    await mailer.send(await resetMail('ann@example.org'));
    const [mail] = await readOutbox(dir);
    expect(logs).toEqual([expect.objectContaining({ level: 30, msg: 'mail written to the outbox', path: path.join(dir, 'outbox', mail!.file) })]);
    const logged = JSON.stringify(logs);
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain('Reset your password');
  });

  it('creates the outbox again when an operator moved it away', async () => {
    await mailer.send(simple('ann@example.org', 'before'));
    renameSync(path.join(dir, 'outbox'), path.join(dir, 'processed'));
    await mailer.send(simple('ann@example.org', 'after'));
    expect((await readOutbox(dir)).map((mail) => mail.subject)).toEqual(['after']);
  });

  it('rejects when the outbox cannot be written, and logs nothing', async () => {
    writeFileSync(path.join(dir, 'outbox'), 'a file where the directory should be');
    await expect(mailer.send(simple('ann@example.org', 'lost'))).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(logs).toEqual([]);
  });

  it('writes a From that parses when the issuer is an IP address (an RFC 5321 address literal)', async () => {
    await mailer.close();
    mailer = open({ ISSUER: 'http://127.0.0.1:3000' });
    await mailer.send(simple('ann@example.org', 'literal'));
    expect((await readOutbox(dir))[0]!.from).toEqual({ name: 'Gatehouse', address: 'no-reply@[127.0.0.1]' });
  });
});

describe('waitForMail (test helper)', () => {
  it('returns the first mail to the address whose subject matches, past the ones it is told to skip', async () => {
    await mailer.send(simple('ann@example.org', 'reset 1'));
    await mailer.send(simple('bob@example.org', 'reset 2'));
    await mailer.send(simple('Ann@Example.org', 'notice'));
    await mailer.send(simple('ann@example.org', 'reset 3'));
    expect((await waitForMail(dir, 'ann@example.org')).subject).toBe('reset 1');
    expect((await waitForMail(dir, 'ann@example.org', { subject: /^reset/, skip: 1 })).subject).toBe('reset 3');
    expect((await waitForMail(dir, 'ann@example.org', { skip: 1 })).subject).toBe('notice');
  });

  it('waits for a mail that arrives while it polls', async () => {
    const waiting = waitForMail(dir, 'ann@example.org', { subject: /late/ });
    await mailer.send(simple('ann@example.org', 'late'));
    expect((await waiting).subject).toBe('late');
  });

  it('ignores a file still being written', async () => {
    await mailer.send(simple('ann@example.org', 'whole'));
    writeFileSync(path.join(dir, 'outbox', '.20990101T000000.000Z-000001-000000000000.eml.tmp'), 'From: half');
    expect((await readOutbox(dir)).map((mail) => mail.subject)).toEqual(['whole']);
  });

  it('times out with an error that names the address and what the outbox holds', async () => {
    await mailer.send(simple('bob@example.org', 'for bob'));
    await expect(waitForMail(dir, 'ann@example.org', { timeoutMs: 100 })).rejects.toThrow(
      /no mail to ann@example\.org beyond the first 0 arrived in .*outbox within 100 ms: the outbox holds "for bob" to bob@example\.org/,
    );
  });

  it('reads an outbox that does not exist yet as empty', async () => {
    expect(await readOutbox(dir)).toEqual([]);
  });
});
