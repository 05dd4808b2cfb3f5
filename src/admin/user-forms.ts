// The forms of the users screens: each body parsed by a schema before any logic runs (a repeated or
// oversized field is refused whole), and the rule errors of the shared management functions turned into
// messages shown next to their fields.
import { sentence } from '../http/sentence.js';
import type { Request } from 'express';
import { z } from 'zod';
import { checkPasswordPolicy, type PasswordContext } from '../auth/password-policy.js';
import { ValidationError } from '../errors.js';
import { checkEmail, checkName } from '../manage/users.js';

/** Messages by form field name (`email`, `name`, `admin`, `password`). */
export type FieldErrors = Record<string, string>;

/** Generous bounds: the rules (checkEmail, checkName, the password policy) say the precise limits. */
const text = z.string().max(1024).default('');
/** A ticked checkbox sends `on` (the value our forms give it); any other value is a forged form. */
const checkbox = z
  .literal('on')
  .optional()
  .transform((value) => value === 'on');

const userFields = { email: text, name: text, admin: checkbox };

export const editSchema = z.object({ ...userFields, email_verified: checkbox });
export const newUserSchema = z.object({ ...userFields, password: text, generate: checkbox });
export const passwordSchema = z.object({ password: text, generate: checkbox });

export type EditForm = z.output<typeof editSchema>;
export type NewUserForm = z.output<typeof newUserSchema>;
export type PasswordForm = z.output<typeof passwordSchema>;

/** Parses the request's form; a malformed one (a field twice, a checkbox with a strange value) is a 400 page. */
export function parseForm<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  const result = schema.safeParse(req.body ?? {});
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'form');
  throw new ValidationError(field, `The form field “${field}” is not valid: it must be sent once, as text.`);
}

/** Whether the posted form ticks `name`, exactly as the schemas read it (for the recent-sign-in predicates). */
export function ticks(req: Request, name: string): boolean {
  return (req.body as Record<string, unknown> | undefined)?.[name] === 'on';
}

/** Runs every check, collecting each field's error, so that a form shows all its mistakes at once. */
export function collectErrors(checks: (() => unknown)[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors[error.field] ??= sentence(error.message);
    }
  }
  return errors;
}

/**
 * The checks of createUser, run before it so that every field's error shows, not only the first. The password is
 * judged against the name typed too; `issuer` (config.issuer) adds the service's address, which createUser checks
 * in any case.
 */
export function newUserErrors(form: NewUserForm, passwordMinLength: number, issuer?: string): FieldErrors {
  return collectErrors([() => checkEmail(form.email), () => checkName(form.name), () => passwordChoice(form, form.email.trim(), passwordMinLength, { name: form.name, issuer })]);
}

/** The checks of updateUser. */
export function editErrors(form: EditForm): FieldErrors {
  return collectErrors([() => checkEmail(form.email), () => checkName(form.name)]);
}

/** What a typed password is judged against besides the email: the person's name and the issuer (PasswordContext). */
export type PasswordJudgedAgainst = Pick<PasswordContext, 'name' | 'issuer'>;

/**
 * Either a password typed by the administrator or "generate one", never both (the typed one would be
 * silently dropped). Returns the typed password to use, or null to generate one. The management functions
 * (createUser, setPassword) judge the password again with the account's name and the issuer's host.
 */
export function passwordChoice(form: PasswordForm, email: string, passwordMinLength: number, against: PasswordJudgedAgainst = {}): string | null {
  if (form.generate) {
    if (form.password !== '') throw new ValidationError('password', 'Leave the password empty to have one generated, or untick “Generate a password”.');
    return null;
  }
  if (form.password === '') throw new ValidationError('password', 'Enter a password, or tick “Generate a password”.');
  checkPasswordPolicy(form.password, { email, minLength: passwordMinLength, ...against });
  return form.password;
}

/** What `?done=` on a page after a change says (POST, then 303 to a GET page). Unknown words say nothing. */
const NOTICES: Record<string, string> = {
  created: 'The user was created.',
  saved: 'The changes were saved.',
  unchanged: 'Nothing changed.',
  password: 'The new password is set; the user was signed out everywhere.',
  disabled: 'The user is disabled and was signed out everywhere.',
  enabled: 'The user can sign in again.',
  'signed-out': 'The user was signed out everywhere.',
  revoked: 'The session was ended.',
  'second-factors-reset': "The user's second factors were removed: they sign in with their password and set up new ones.",
  deleted: 'The user was deleted.',
};

export function noticeOf(req: Request): string | null {
  const done = req.query.done;
  return typeof done === 'string' && Object.hasOwn(NOTICES, done) ? (NOTICES[done] ?? null) : null;
}

export { sentence };
