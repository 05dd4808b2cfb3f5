// The mails Gatehouse sends, each a pair of views (views/mail/<template>.text.ejs and .html.ejs) rendered from
// plain data. The subject is decided here, per template, so every caller words it the same way.
import path from 'node:path';
import ejs from 'ejs';
import { viewsDir } from '../paths.js';

interface Recipient {
  /** Greets by name when there is one, else "Hello,". */
  name: string | null;
  /** The issuer URL; its host names the site in the subject and body ("Gatehouse at id.example.com"). */
  issuer: string;
}

/** A reset link: single use, valid `minutes`. */
export interface PasswordResetMail extends Recipient {
  template: 'password-reset';
  link: string;
  minutes: number;
}

/** Notice after a reset or a change; `at` is a formatted UTC time, `ip` where the change came from. */
export interface PasswordChangedMail extends Recipient {
  template: 'password-changed';
  at: string;
  ip: string | null;
  forgotLink: string;
}

/** Proves an address: a new account's, or (`change`) the address the account is to move to once verified. */
export interface EmailVerificationMail extends Recipient {
  template: 'email-verification';
  link: string;
  hours: number;
  change: boolean;
}

/** Sent to the old address once a change took effect, so the owner of a taken account hears of it. */
export interface EmailChangedMail extends Recipient {
  template: 'email-changed';
  newEmail: string;
  at: string;
}

/** A second factor was added or removed (`change` says which, as a sentence), so a stranger's change is noticed. */
export interface SecondFactorChangedMail extends Recipient {
  template: 'second-factor-changed';
  change: string;
  at: string;
  ip: string | null;
  accountLink: string;
}

/**
 * Instead of a reset link, to a person whose password a directory keeps (issue 23): `provider` names it, `resetUrl`
 * is its own password page (LdapSettings.passwordResetUrl), or null ("ask your administrator").
 */
export interface PasswordManagedMail extends Recipient {
  template: 'password-managed';
  provider: string;
  resetUrl: string | null;
}

export type MailData = PasswordResetMail | PasswordChangedMail | EmailVerificationMail | EmailChangedMail | SecondFactorChangedMail | PasswordManagedMail;
export type MailTemplate = MailData['template'];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const mailViews = path.join(viewsDir, 'mail');

function subjectOf(data: MailData, host: string): string {
  switch (data.template) {
    case 'password-reset':
      return `Reset your password at ${host}`;
    case 'password-changed':
      return `Your password at ${host} was changed`;
    case 'email-verification':
      return data.change ? `Confirm your new email address at ${host}` : `Verify your email address at ${host}`;
    case 'email-changed':
      return `The email address of your account at ${host} was changed`;
    case 'second-factor-changed':
      return `How you sign in at ${host} changed`;
    case 'password-managed':
      return `Your password for ${host} is kept by ${data.provider}`;
  }
}

/** "1 minute", "30 minutes". */
function quantity(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/**
 * The text views print values as they are: HTML escaping would turn "O'Brien" into "O&#39;Brien". They print
 * strings, numbers and booleans (MailData); anything else is a mistake in a view, not "[object Object]" in a mail.
 */
function verbatim(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TypeError(`a text mail view printed a value of type ${typeof value}`);
}

/** Renders views/mail/<template>.text.ejs and .html.ejs; the subject is decided here per template. */
export async function renderMail<T extends MailTemplate>(template: T, data: Extract<MailData, { template: NoInfer<T> }>): Promise<RenderedMail> {
  // The data names its template too, so that TypeScript checks its fields; the two must agree.
  if (data.template !== template) throw new Error(`renderMail(${JSON.stringify(template)}) was given the data of ${JSON.stringify(data.template)}`);
  const host = new URL(data.issuer).host;
  const subject = subjectOf(data, host);
  const view = {
    ...data,
    subject,
    host,
    site: `Gatehouse at ${host}`,
    greeting: data.name ? `Hello ${data.name},` : 'Hello,',
    validFor: 'minutes' in data ? quantity(data.minutes, 'minute') : 'hours' in data ? quantity(data.hours, 'hour') : '',
  };
  // Each file is always compiled with the same options (text: verbatim, HTML: escaped), so ejs's cache, keyed by
  // file name, never hands a text view to an HTML render or the reverse.
  const [text, html] = await Promise.all([
    ejs.renderFile(path.join(mailViews, `${template}.text.ejs`), view, { cache: true, escape: verbatim }),
    ejs.renderFile(path.join(mailViews, `${template}.html.ejs`), view, { cache: true }),
  ]);
  return { subject, text, html };
}
