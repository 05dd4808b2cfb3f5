// The mails Gatehouse sends, each a pair of views (views/mail/<template>.text.ejs and .html.ejs) rendered from
// plain data, in the recipient's language and time zone (issue 25: `locale`, decided by the caller, see
// recipientLocale in src/auth/account-links.ts) and under the organisation's brand (its name signs the mail; the
// HTML part shows its logo and colour). The subject is decided here, per template, so every caller words it the
// same way. Texts come from the `mail` section of locales/<lng>.json.
import path from 'node:path';
import ejs from 'ejs';
import type { Brand } from '../branding/brand.js';
import type { PageLocale } from '../i18n/page-locale.js';
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

/** Notice after a reset or a change; `at` when (ms, shown in the recipient's time zone), `ip` where it came from. */
export interface PasswordChangedMail extends Recipient {
  template: 'password-changed';
  at: number;
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
  at: number;
}

/** What changed in how a person signs in, each told by its own sentence in the mail's language. */
export type SecondFactorChangeKind = 'totp-on' | 'totp-off' | 'recovery-codes' | 'passkey-removed' | 'factors-reset';
export type SecondFactorChange = SecondFactorChangeKind | { passkeyAdded: string };

/**
 * A second factor was added or removed (`change` says which), so a stranger's change is noticed. `change` may
 * still be an English sentence from a caller written before issue 25: printed as given (two known ones are
 * recognised and translated, see LEGACY_SENTENCES).
 */
export interface SecondFactorChangedMail extends Recipient {
  template: 'second-factor-changed';
  change: SecondFactorChange;
  at: number;
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

type Translate = PageLocale['t'];

function subjectOf(data: MailData, t: Translate, host: string): string {
  switch (data.template) {
    case 'password-reset':
      return t('mail.passwordReset.subject', { host });
    case 'password-changed':
      return t('mail.passwordChanged.subject', { host });
    case 'email-verification':
      return data.change ? t('mail.emailVerification.subjectChange', { host }) : t('mail.emailVerification.subject', { host });
    case 'email-changed':
      return t('mail.emailChanged.subject', { host });
    case 'second-factor-changed':
      return t('mail.secondFactorChanged.subject', { host });
    case 'password-managed':
      return t('mail.passwordManaged.subject', { host, provider: data.provider });
  }
}

/** The sentence that tells a second-factor change, in the mail's language. */
export function secondFactorSentence(t: Translate, change: SecondFactorChange): string {
  if (typeof change === 'object') return t('mail.secondFactorChanged.passkeyAdded', { name: change.passkeyAdded });
  switch (change) {
    case 'totp-on':
      return t('mail.secondFactorChanged.totpOn');
    case 'totp-off':
      return t('mail.secondFactorChanged.totpOff');
    case 'recovery-codes':
      return t('mail.secondFactorChanged.recoveryCodes');
    case 'passkey-removed':
      return t('mail.secondFactorChanged.passkeyRemoved');
    case 'factors-reset':
      return t('mail.secondFactorChanged.factorsReset');
  }
}

/** "30 minutes", "24 Stunden", "٣٠ دقيقة": how long a link works, in the mail's language and plural rules. */
function validFor(data: MailData, t: Translate): string {
  if ('minutes' in data) return t('mail.minutes', { count: data.minutes });
  if ('hours' in data) return t('mail.hours', { count: data.hours });
  return '';
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

/**
 * Renders views/mail/<template>.text.ejs and .html.ejs in `locale`'s language (times in its time zone), signed
 * with `brand`'s name; the HTML part shows its logo (an absolute URL on the issuer's origin: a mail has no page to
 * be relative to) and its colour. The subject is decided here per template.
 */
export async function renderMail<T extends MailTemplate>(template: T, data: Extract<MailData, { template: NoInfer<T> }>, locale: PageLocale, brand: Brand): Promise<RenderedMail> {
  // The data names its template too, so that TypeScript checks its fields; the two must agree.
  if (data.template !== template) throw new Error(`renderMail(${JSON.stringify(template)}) was given the data of ${JSON.stringify(data.template)}`);
  const mail: MailData = data;
  const { t } = locale;
  const issuer = new URL(data.issuer);
  const host = issuer.host;
  const subject = subjectOf(data, t, host);
  const view = {
    ...data,
    t,
    lang: locale.language,
    dir: locale.dir,
    at: 'at' in data ? locale.dates.dateTime(data.at) : '',
    ...(mail.template === 'second-factor-changed' ? { change: secondFactorSentence(t, mail.change) } : {}),
    subject,
    host,
    site: t('mail.site', { brand: brand.name, host }),
    brandName: brand.name,
    logoUrl: brand.logoUrl === null ? null : `${issuer.origin}${brand.logoUrl}`,
    color: brand.color,
    greeting: data.name ? t('mail.greeting', { name: data.name }) : t('mail.greetingAnonymous'),
    validFor: validFor(data, t),
  };
  // Each file is always compiled with the same options (text: verbatim, HTML: escaped), so ejs's cache, keyed by
  // file name, never hands a text view to an HTML render or the reverse.
  const [text, html] = await Promise.all([
    ejs.renderFile(path.join(mailViews, `${template}.text.ejs`), view, { cache: true, escape: verbatim }),
    ejs.renderFile(path.join(mailViews, `${template}.html.ejs`), view, { cache: true }),
  ]);
  return { subject, text, html };
}
