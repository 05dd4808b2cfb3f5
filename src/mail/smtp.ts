// Sends mail through the relay named by SMTP_URL (nodemailer parses the URL: smtps:// is TLS from the start,
// smtp:// upgrades with STARTTLS when the server offers it; query options such as ?ignoreTLS=true pass through).
import type { SMTPSentMessageInfo, SMTPTransportOptions, Transporter } from 'nodemailer';
import type { Logger } from '../logger.js';
import type { Mailer, MailMessage } from './mailer.js';
import { loadNodemailer } from './nodemailer.js';

export interface SmtpOptions {
  /** smtp:// or smtps:// URL, validated by src/config.ts; never logged: it may hold the relay's password. */
  url: string;
  from: string;
  logger: Logger;
}

// nodemailer waits up to 2 minutes for a connection and 10 for a silent socket; a person waits on the page that
// sends a reset mail, so an unreachable relay should fail in seconds. The URL's own query options win over these.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

// Named, not ReturnType<createTransport>: that is its last overload's, Transporter<any, any>, and `any` would leak into `info`.
type Transport = Transporter<SMTPSentMessageInfo, SMTPTransportOptions>;

export function openSmtp(options: SmtpOptions): Mailer {
  // Opened on the first send: nodemailer is only loaded when there is mail (src/mail/nodemailer.ts).
  let transport: Promise<Transport> | undefined;
  return {
    async send(message: MailMessage): Promise<void> {
      transport ??= loadNodemailer().then(({ createTransport }) => createTransport({ ...TIMEOUTS, url: options.url }));
      const info = await (await transport).sendMail({ from: options.from, ...message });
      options.logger.info({ messageId: info.messageId }, 'mail sent');
    },
    async close(): Promise<void> {
      (await transport?.catch(() => undefined))?.close();
    },
  };
}
