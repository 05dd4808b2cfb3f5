// Verifying email addresses: a new account's own address, and a change of address, which takes effect only
// once the new address is verified (the account never points at a mailbox its owner has not shown they read).
// The link's purpose, not a comparison of addresses, decides which it is (issue 19, F1): a verification link that
// outlived its address must never move the account back to it.
import { ConflictError, ValidationError } from '../errors.js';
import type { Language } from '../i18n/languages.js';
import { checkEmail } from '../manage/users.js';
import { normalizeEmail } from '../store/normalize-email.js';
import type { AccountTokenRecord, UserRecord } from '../store/records.js';
import { inBackground, linkStillApplies, mailEmailChanged, mailVerification, type AccountMailDependencies } from './account-links.js';

export type EmailChangeRequest = { outcome: 'unchanged' } | { outcome: 'sent'; email: string };

/**
 * Mails a verification link to the new address; nothing changes until it is used. An address that belongs to
 * another account gets no mail and the same answer, so the form cannot be used to find out who has an account.
 */
export async function requestEmailChange(deps: AccountMailDependencies, user: UserRecord, newEmail: string, ip: string | null, requestLanguage?: Language): Promise<EmailChangeRequest> {
  const email = checkEmail(newEmail);
  if (normalizeEmail(email) === normalizeEmail(user.email)) {
    if (email === user.email) return { outcome: 'unchanged' };
    throw new ValidationError('email', 'this is already your address').shown('account.errors.emailAlreadyYours');
  }
  const holder = await deps.store.users.findByEmail(email);
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'email.change_requested',
    actor: user.id,
    subject: user.id,
    ip,
    details: { sent: holder === null },
  });
  // Sent after the answer: a mail sent only for a free address would otherwise show in the answer's timing.
  if (holder === null) inBackground(deps.logger, 'verification mail', () => mailVerification(deps, user, email, true, requestLanguage));
  return { outcome: 'sent', email };
}

export type EmailConfirmation =
  | { outcome: 'verified'; user: UserRecord }
  | { outcome: 'changed'; user: UserRecord; oldEmail: string }
  /**
   * The address was taken by another account since the link was sent, the account no longer has the address a
   * verification link was for, or the account is gone or disabled. Nothing was changed.
   */
  | { outcome: 'unavailable'; reason: string; text: ShownText };

/** `reason` for a page in its own language: a key of the verifyEmail section (src/interaction/verify-email.ts). */
export interface ShownText {
  key: string;
  values?: Record<string, unknown>;
}

/**
 * Applies a used token: an `email_verification` link marks the account's address verified, while it is still the
 * address the link went to; an `email_change` link moves the account to the address it went to. Anything else
 * changes nothing.
 */
export async function confirmEmail(deps: AccountMailDependencies, token: AccountTokenRecord, ip: string | null, requestLanguage?: Language): Promise<EmailConfirmation> {
  const user = await deps.store.users.findById(token.userId);
  if (!user || user.disabled) return { outcome: 'unavailable', reason: 'This account is no longer active.', text: { key: 'verifyEmail.inactive' } };
  const now = deps.clock.now();
  if (token.purpose !== 'email_verification' && token.purpose !== 'email_change')
    return { outcome: 'unavailable', reason: 'This link is not an email confirmation.', text: { key: 'verifyEmail.notConfirmation' } };
  if (!linkStillApplies(token, user)) return refuseStale(deps, user, now, ip);
  // Each write below happens only while the account has the address just read (onlyIfEmail): an address changed
  // meanwhile is neither verified by the old one's link nor replaced by a change it never saw.
  if (normalizeEmail(token.email) === normalizeEmail(user.email)) {
    // A verification link, or a change link to the address the account already has (set meanwhile some other way).
    const updated = user.emailVerified ? user : await deps.store.users.update(user.id, { emailVerified: true }, now, { onlyIfEmail: user.email });
    if (!updated) return refuseStale(deps, user, now, ip);
    await deps.store.audit.append({ at: now, type: 'email.verified', actor: user.id, subject: user.id, ip, details: {} });
    return { outcome: 'verified', user: updated };
  }
  let updated: UserRecord | null;
  try {
    updated = await deps.store.users.update(user.id, { email: token.email, emailVerified: true }, now, { onlyIfEmail: user.email });
  } catch (error) {
    if (error instanceof ConflictError)
      return {
        outcome: 'unavailable',
        reason: `${token.email} now belongs to another account, so this account keeps its address.`,
        text: { key: 'verifyEmail.taken', values: { email: token.email } },
      };
    throw error;
  }
  if (!updated) return refuseStale(deps, user, now, ip);
  await deps.store.audit.append({ at: now, type: 'email.changed', actor: user.id, subject: user.id, ip, details: {} });
  await mailEmailChanged(deps, updated, user.email, requestLanguage).catch((error: unknown) => deps.logger.error({ err: error }, 'mailing the email-change notice failed'));
  return { outcome: 'changed', user: updated, oldEmail: user.email };
}

/** A link that no longer fits the account (its address changed, or the account went meanwhile): nothing changes. */
async function refuseStale(deps: AccountMailDependencies, user: UserRecord, now: number, ip: string | null): Promise<EmailConfirmation> {
  await deps.store.audit.append({ at: now, type: 'email.confirmation_refused', actor: user.id, subject: user.id, ip, outcome: 'failure', details: { reason: 'address_changed' } });
  return {
    outcome: 'unavailable',
    reason: 'This link was for an address this account no longer has, so it changes nothing. Ask for a new link from your account page.',
    text: { key: 'verifyEmail.addressChanged' },
  };
}
