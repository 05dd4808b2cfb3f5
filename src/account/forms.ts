// The account forms: each body parsed by a schema before any logic runs (a repeated or oversized field is
// refused whole, as on the admin screens), and what `?done=` says after a change (POST, then 303 to the page).
import { sentence } from '../http/sentence.js';
import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

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

/** Parses the request's form; a malformed one (a field twice, a field far too long) is a 400 page. */
export function parseAccountForm<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'form');
  throw new ValidationError(field, `The form field “${field}” is not valid: it must be sent once, as text.`);
}

/** What `?done=` says on the page. Unknown words say nothing, so a crafted link cannot put text on the page. */
const NOTICES: Record<string, string> = {
  'name-changed': 'Your name was changed.',
  unchanged: 'Nothing changed.',
  'verification-sent': 'We sent a new verification link to your address. Open it to confirm the address is yours.',
  'already-verified': 'Your address is already verified.',
  'password-changed': 'Your password was changed, and your other sessions were signed out.',
  'signed-out': 'That session was signed out.',
  'two-factor-off': 'Two-step verification is off. Your recovery codes no longer work.',
  'app-removed': 'The application’s access was removed: its tokens no longer work, and it will ask again before it can use your account.',
};

export function noticeOf(req: Request): string | null {
  const done = req.query.done;
  return typeof done === 'string' && Object.hasOwn(NOTICES, done) ? (NOTICES[done] ?? null) : null;
}

export { sentence };
