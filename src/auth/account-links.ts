// Single-use links mailed to a person: a password reset (30 minutes), and an email verification or change of
// address (24 hours). The token is 256-bit random and only its SHA-256 hash is stored (ARCHITECTURE: secrets at
// rest); each new link of a kind replaces the user's earlier ones, so only the newest mail works. A link records
// what it is for and the address it went to, and does only that (issue 19, F1): a verification link verifies the
// account's address only while the account still has it, a change link moves the account to its address, a reset
// link works only while its address is the account's. A new email or password ends every link still unused
// (UserRepository.update).
import { brandsOf } from '../branding/brand-service.js';
import type { Brand } from '../branding/brand.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { routeUrl, type RouteName } from '../http/routes.js';
import { languageOfTag, type Language } from '../i18n/languages.js';
import { localeFor, type PageLocale } from '../i18n/page-locale.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import { renderMail, type MailData, type MailTemplate, type SecondFactorChangedMail } from '../mail/templates.js';
import { normalizeEmail } from '../store/normalize-email.js';
import type { AccountTokenPurpose, AccountTokenRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { hashSecret, randomSecret } from './secrets.js';

export const RESET_LINK_LIFETIME_MS = 30 * 60 * 1000;
export const VERIFICATION_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface AccountMailDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  mailer: Mailer;
  logger: Logger;
}

const LINKS: Record<AccountTokenPurpose, { route: RouteName; lifetimeMs: number }> = {
  password_reset: { route: 'resetPassword', lifetimeMs: RESET_LINK_LIFETIME_MS },
  email_verification: { route: 'verifyEmail', lifetimeMs: VERIFICATION_LINK_LIFETIME_MS },
  email_change: { route: 'verifyEmail', lifetimeMs: VERIFICATION_LINK_LIFETIME_MS },
};

/** Stores a new token for the user (ending their earlier ones of the purpose) and returns the link that carries it. */
async function issueLink(deps: AccountMailDependencies, purpose: AccountTokenPurpose, user: UserRecord, email: string): Promise<string> {
  const now = deps.clock.now();
  const token = randomSecret();
  await deps.store.accountTokens.revokeForUser(user.id, purpose, now);
  await deps.store.accountTokens.create({ tokenHash: hashSecret(token), purpose, userId: user.id, email, createdAt: now, expiresAt: now + LINKS[purpose].lifetimeMs });
  return `${routeUrl(deps.config.issuer, LINKS[purpose].route)}?${new URLSearchParams({ token }).toString()}`;
}

/** The live token a link carries, or null: unknown, expired, used, or of none of these purposes. */
export async function findLinkToken(
  deps: Pick<AccountMailDependencies, 'store' | 'clock'>,
  purposes: AccountTokenPurpose | readonly AccountTokenPurpose[],
  token: string,
): Promise<AccountTokenRecord | null> {
  if (!token) return null;
  for (const purpose of typeof purposes === 'string' ? [purposes] : purposes) {
    const record = await deps.store.accountTokens.findLive(hashSecret(token), purpose, deps.clock.now());
    if (record) return record;
  }
  return null;
}

/**
 * Whether a link may still act on the account as it is now. A verification or reset link went to the address the
 * account had then: it counts only while the account still has that address (else whoever holds that mailbox, a
 * typo's or a former address's, would verify it back onto the account or set its password). A change link went to
 * the address the person asked to move to, which is not the account's yet: it is checked when it is used
 * (confirmEmail). A new email or password already ended every older link (UserRepository.update); this holds
 * without that too.
 */
export function linkStillApplies(token: AccountTokenRecord, user: UserRecord): boolean {
  if (token.userId !== user.id) return false;
  if (token.purpose === 'email_change') return true;
  return normalizeEmail(token.email) === normalizeEmail(user.email);
}

/** Uses the token up; of concurrent uses exactly one gets the record. */
export function consumeLinkToken(deps: Pick<AccountMailDependencies, 'store' | 'clock'>, purpose: AccountTokenPurpose, token: string): Promise<AccountTokenRecord | null> {
  return token ? deps.store.accountTokens.consume(hashSecret(token), purpose, deps.clock.now()) : Promise.resolve(null);
}

/**
 * The language and time zone of a mail to `user` (issue 25): the language saved on their account, else the one of
 * the page that caused the mail (`requestLanguage`: a reset asked for on a French page is French), else
 * DEFAULT_LOCALE; times in their saved time zone, else UTC (named in the mail).
 */
export function recipientLocale(config: Pick<Config, 'defaultLocale'>, user: Pick<UserRecord, 'locale' | 'timeZone'>, requestLanguage?: Language): PageLocale {
  const language = languageOfTag(user.locale ?? '') ?? requestLanguage ?? config.defaultLocale;
  return localeFor(language, user.timeZone);
}

/** The brand the mails carry: the one the pages show (the admin screen's, else BRAND_*, else Gatehouse's). */
export function mailBrand(deps: Pick<AccountMailDependencies, 'config' | 'store' | 'clock'>): Promise<Brand> {
  return brandsOf(deps.config, deps.store, deps.clock).current();
}

type DataOf<T extends MailTemplate> = Extract<MailData, { template: T }>;

async function send<T extends MailTemplate>(deps: AccountMailDependencies, to: string, user: UserRecord, data: DataOf<T>, requestLanguage: Language | undefined): Promise<void> {
  const mail = await renderMail<T>(data.template, data, recipientLocale(deps.config, user, requestLanguage), await mailBrand(deps));
  await deps.mailer.send({ to, ...mail });
}

/** A UTC time as the mails showed it before issue 25 (kept for the CLI's and tests' use; mails now use Intl). */
export function mailTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

export async function mailPasswordReset(deps: AccountMailDependencies, user: UserRecord, requestLanguage?: Language): Promise<void> {
  const link = await issueLink(deps, 'password_reset', user, user.email);
  await send(deps, user.email, user, { template: 'password-reset', name: user.name, issuer: deps.config.issuer, link, minutes: RESET_LINK_LIFETIME_MS / 60_000 }, requestLanguage);
}

/**
 * Verifies `email`: the user's own address (an `email_verification` link), or (`change`) the one they asked to move
 * to (an `email_change` link), which takes effect only when verified.
 */
export async function mailVerification(deps: AccountMailDependencies, user: UserRecord, email: string, change: boolean, requestLanguage?: Language): Promise<void> {
  const link = await issueLink(deps, change ? 'email_change' : 'email_verification', user, email);
  await send(deps, email, user, { template: 'email-verification', name: user.name, issuer: deps.config.issuer, link, hours: VERIFICATION_LINK_LIFETIME_MS / 3_600_000, change }, requestLanguage);
}

export async function mailPasswordChanged(deps: AccountMailDependencies, user: UserRecord, ip: string | null, requestLanguage?: Language): Promise<void> {
  await send(
    deps,
    user.email,
    user,
    { template: 'password-changed', name: user.name, issuer: deps.config.issuer, at: deps.clock.now(), ip, forgotLink: routeUrl(deps.config.issuer, 'forgotPassword') },
    requestLanguage,
  );
}

/**
 * Told when a second factor is added or removed (`change`: which, e.g. 'totp-on'; an English sentence from an
 * older caller is printed as given): someone who learnt the password and set up their own authenticator is
 * noticed by the account's owner.
 */
export async function mailSecondFactorChanged(
  deps: AccountMailDependencies,
  user: UserRecord,
  change: SecondFactorChangedMail['change'],
  ip: string | null,
  requestLanguage?: Language,
): Promise<void> {
  await send(
    deps,
    user.email,
    user,
    { template: 'second-factor-changed', name: user.name, issuer: deps.config.issuer, change, at: deps.clock.now(), ip, accountLink: routeUrl(deps.config.issuer, 'account') },
    requestLanguage,
  );
}

/** The same mail, sent after the answer (a mail server's delay never holds up the page). */
export function tellSecondFactorChanged(deps: AccountMailDependencies, user: UserRecord, change: SecondFactorChangedMail['change'], ip: string | null, requestLanguage?: Language): void {
  inBackground(deps.logger, 'second-factor mail', () => mailSecondFactorChanged(deps, user, change, ip, requestLanguage));
}

/** Told to the old address: if someone else took the account, its owner hears of it. */
export async function mailEmailChanged(deps: AccountMailDependencies, user: UserRecord, oldEmail: string, requestLanguage?: Language): Promise<void> {
  await send(deps, oldEmail, user, { template: 'email-changed', name: user.name, issuer: deps.config.issuer, newEmail: user.email, at: deps.clock.now() }, requestLanguage);
}

/**
 * Runs mail work after the answer is sent, so that the answer takes the same time whether or not there was a
 * mail to send (no account enumeration by timing, OWASP Forgot Password Cheat Sheet); failures are logged.
 */
export function inBackground(logger: Logger, what: string, work: () => Promise<void>): void {
  setImmediate(() => {
    work().catch((error: unknown) => logger.error({ err: error }, `${what} failed`));
  });
}
