// The account forms: each body parsed by a schema before any logic runs (a repeated or oversized field is
// refused whole, as on the admin screens), and what `?done=` says after a change (POST, then 303 to the page).
// Everything the page says is in the person's language (issue 25: the `account` section of locales/*.json).
import { sentence } from '../http/sentence.js';
import type { Request } from 'express';
import { z } from 'zod';
import { GatehouseError, ValidationError } from '../errors.js';
import type { Translate } from '../i18n/catalog.js';
import { errorText } from '../i18n/error-text.js';

/** Messages by form field name, for one form. */
export type FieldErrors = Record<string, string>;

/** Generous bounds: the rules (checkName, checkEmail, the password policy) say the precise limits. */
const text = z.string().max(1024).default('');

export const nameSchema = z.object({ name: text });
export const emailSchema = z.object({ email: text, current_password: text });
export const passwordSchema = z.object({ current_password: text, new_password: text, confirm_password: text });
export const sessionSchema = z.object({ sid: text });
export const currentPasswordSchema = z.object({ current_password: text });
export const codeSchema = z.object({ code: text });
/** Removing a second factor or replacing the recovery codes: the password, and a code unless the sign-in was recent and two-factor. */
export const factorChangeSchema = z.object({ current_password: text, code: text });
/** "Language and region": a language we ship, and a time zone ('' = this browser's). */
export const preferencesSchema = z.object({ lang: text, time_zone: text });

/** Parses the request's form; a malformed one (a field twice, a field far too long) is a 400 page. */
export function parseAccountForm<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'form');
  throw new ValidationError(field, `The form field “${field}” is not valid: it must be sent once, as text.`).shown('account.errors.formField', { field });
}

/** What `?done=` says on the page, by the word in the URL. Unknown words say nothing, so a crafted link cannot put text on the page. */
const NOTICES: Record<string, (t: Translate) => string> = {
  'name-changed': (t) => t('account.notices.nameChanged'),
  unchanged: (t) => t('account.notices.unchanged'),
  'verification-sent': (t) => t('account.notices.verificationSent'),
  'already-verified': (t) => t('account.notices.alreadyVerified'),
  'password-changed': (t) => t('account.notices.passwordChanged'),
  'signed-out': (t) => t('account.notices.signedOut'),
  'two-factor-off': (t) => t('account.notices.twoFactorOff'),
  'app-removed': (t) => t('account.notices.appRemoved'),
  'passkey-added': (t) => t('account.notices.passkeyAdded'),
  'passkey-renamed': (t) => t('account.notices.passkeyRenamed'),
  'passkey-removed': (t) => t('account.notices.passkeyRemoved'),
  'preferences-saved': (t) => t('account.notices.preferencesSaved'),
};

export function noticeOf(req: Request, t: Translate): string | null {
  const done = req.query.done;
  return typeof done === 'string' && Object.hasOwn(NOTICES, done) ? (NOTICES[done]?.(t) ?? null) : null;
}

/** A refusal as the page says it: its translation when it has one, else the shared rule's English as a sentence. */
export function refusalText(t: Translate, error: unknown): string {
  if (error instanceof GatehouseError && error.text) return errorText(t, error);
  return sentence(error instanceof Error ? error.message : String(error));
}

export { sentence };
