// With SMTP_URL set, mail goes to the relay it names: here a real SMTP server on the loopback interface.
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openMailer, type Mailer } from '../../src/mail/mailer.js';
import { defaultBrand } from '../../src/branding/brand.js';
import { localeFor } from '../../src/i18n/page-locale.js';
import { renderMail } from '../../src/mail/templates.js';
import { parseMail, type ReceivedMail } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'c2VjcmV0LXNpbmdsZS11c2UtdG9rZW4tMDEyMzQ1Njc4OWFiY2RlZg';
const LINK = `https://id.example.com/reset-password?token=${TOKEN}`;

interface Relay {
  port: number;
  received: { envelope: { from: string; to: string[] }; user: string | undefined; mail: ReceivedMail }[];
  stop(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 and a free port that accepts every message and keeps it. */
async function startRelay(options: SMTPServerOptions = {}): Promise<Relay> {
  const received: Relay['received'] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: STARTTLS would be refused with the server's self-signed certificate.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        parseMail(Buffer.concat(chunks)).then(
          (mail) => {
            const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((rcpt) => rcpt.address) };
            received.push({ envelope, user: session.user === undefined ? undefined : String(session.user), mail });
            callback();
          },
          (error: unknown) => callback(error as Error),
        );
      });
    },
    ...options,
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dir: string;
let remove: () => void;
let logs: Record<string, unknown>[];
let relay: Relay | undefined;
let mailer: Mailer | undefined;

function open(smtpUrl: string, env: Record<string, string> = {}): Mailer {
  const config = loadConfig({ ISSUER: 'https://id.example.com', DATA_DIR: dir, SMTP_URL: smtpUrl, ...env }, dir);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  mailer = openMailer(config, createLogger('info', sink));
  return mailer;
}

async function resetMail(to: string) {
  return {
    to,
    ...(await renderMail('password-reset', { template: 'password-reset', name: 'Ann', issuer: 'https://id.example.com', link: LINK, minutes: 30 }, localeFor('en', null), defaultBrand)),
  };
}

beforeEach(() => {
  ({ dir, remove } = tempDir());
  logs = [];
});

afterEach(async () => {
  await mailer?.close();
  await relay?.stop();
  mailer = undefined;
  relay = undefined;
  remove();
});

describe('SMTP (SMTP_URL set)', () => {
  it('delivers the message to the relay: envelope, From, To, subject, and text and HTML parts with the link intact', async () => {
    relay = await startRelay();
    await open(`smtp://127.0.0.1:${relay.port}`).send(await resetMail('ann@example.org'));
    expect(relay.received).toHaveLength(1);
    const [{ envelope, mail }] = relay.received as [Relay['received'][number]];
    expect(envelope).toEqual({ from: 'no-reply@id.example.com', to: ['ann@example.org'] });
    expect(mail).toMatchObject({ from: { name: 'Gatehouse', address: 'no-reply@id.example.com' }, to: 'ann@example.org', subject: 'Reset your password at id.example.com' });
    expect(mail.links).toEqual([LINK]);
    expect(mail.html).toContain(`<a href="${LINK}">${LINK}</a>`);
  });

  it('sends From MAIL_FROM', async () => {
    relay = await startRelay();
    await open(`smtp://127.0.0.1:${relay.port}`, { MAIL_FROM: 'Example Sign-in <sso@example.org>' }).send(await resetMail('ann@example.org'));
    expect(relay.received[0]!.envelope.from).toBe('sso@example.org');
    expect(relay.received[0]!.mail.from).toEqual({ name: 'Example Sign-in', address: 'sso@example.org' });
  });

  it('signs in to the relay with the user and password of the URL', async () => {
    relay = await startRelay({
      authOptional: false,
      // The test relay speaks plain SMTP on loopback; a real one would offer TLS.
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'gatehouse' && auth.password === 'relay pass/word') callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
    });
    await open(`smtp://gatehouse:${encodeURIComponent('relay pass/word')}@127.0.0.1:${relay.port}`).send(await resetMail('ann@example.org'));
    expect(relay.received.map((message) => message.user)).toEqual(['gatehouse']);
  });

  it('follows the options in the URL, such as ignoreTLS against a relay whose STARTTLS certificate it would refuse', async () => {
    relay = await startRelay({ disabledCommands: [] });
    await expect(open(`smtp://127.0.0.1:${relay.port}`).send(await resetMail('ann@example.org'))).rejects.toThrow(/certificate/i);
    await mailer!.close();
    await open(`smtp://127.0.0.1:${relay.port}?ignoreTLS=true`).send(await resetMail('ann@example.org'));
    expect(relay.received).toHaveLength(1);
  });

  it('logs "mail sent" with the message id only: never the subject, the body with its link, or the password of the relay', async () => {
    relay = await startRelay({ authOptional: false, allowInsecureAuth: true, onAuth: (_auth, _session, callback) => callback(null, { user: 'gatehouse' }) });
    await open(`smtp://gatehouse:hunter2-relay-secret@127.0.0.1:${relay.port}`).send(await resetMail('ann@example.org'));
    expect(logs).toEqual([expect.objectContaining({ level: 30, msg: 'mail sent', messageId: expect.stringMatching(/^<.+@id\.example\.com>$/) })]);
    const logged = JSON.stringify(logs);
    for (const secret of [TOKEN, 'Reset your password', 'hunter2-relay-secret']) expect(logged).not.toContain(secret);
  });

  it('rejects when the relay refuses the recipient, and logs nothing', async () => {
    relay = await startRelay({
      onRcptTo(address, _session, callback) {
        const refusal = Object.assign(new Error('No such user here'), { responseCode: 550 });
        callback(address.address === 'nobody@example.org' ? refusal : null);
      },
    });
    await expect(open(`smtp://127.0.0.1:${relay.port}`).send(await resetMail('nobody@example.org'))).rejects.toThrow(/550|No such user/);
    expect(relay.received).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('rejects when nothing listens at the URL', async () => {
    const port = await closedPort();
    await expect(open(`smtp://127.0.0.1:${port}`).send(await resetMail('ann@example.org'))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('writes nothing to the outbox', async () => {
    relay = await startRelay();
    await open(`smtp://127.0.0.1:${relay.port}`).send(await resetMail('ann@example.org'));
    expect(existsSync(path.join(dir, 'outbox'))).toBe(false);
  });
});
