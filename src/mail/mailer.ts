// The one door for outgoing mail: SMTP when SMTP_URL is set, otherwise `.eml` files in DATA_DIR/outbox/, so a
// fresh checkout can reset a password without a mail server (the operator opens the file).
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { openOutbox } from './outbox.js';
import { openSmtp } from './smtp.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Sends one message; rejects when the transport fails (the caller logs, never the body: it holds links with tokens). */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** SMTP when config.smtpUrl is set, else the outbox in config.dataDir/outbox. */
export function openMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>, logger: Logger): Mailer {
  if (config.smtpUrl !== null) return openSmtp({ url: config.smtpUrl, from: config.mailFrom, logger });
  return openOutbox({ dir: path.join(config.dataDir, 'outbox'), from: config.mailFrom, logger });
}
