// The forms of the groups screens and of the groups part of the user page: each body parsed by a schema before
// any logic runs (a repeated or oversized field is refused whole, user-forms.ts parseForm), the rules being
// src/manage/groups.ts's, whose mistakes are shown next to their fields.
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { checkGroupDescription, checkGroupName } from '../manage/groups.js';
import { collectErrors, sentence, type FieldErrors } from './user-forms.js';

/** Generous bounds: the rules (checkGroupName, checkGroupDescription) say the precise limits. */
const text = z.string().max(2048).default('');
/** A ticked checkbox sends `on` (the value our forms give it); any other value is a forged form. */
const checkbox = z
  .literal('on')
  .optional()
  .transform((value) => value === 'on');

export const newGroupSchema = z.object({ name: text, description: text, require_mfa: checkbox });
export const groupSettingsSchema = z.object({ description: text, require_mfa: checkbox });
export const renameSchema = z.object({ name: text });
/** Adding a member on the group page: their email (or id, as the command line takes). */
export const memberSchema = z.object({ email: text });
/** Adding the person to a group on the user page: its name (or id). */
export const userGroupSchema = z.object({ group: text });

export type NewGroupForm = z.output<typeof newGroupSchema>;

/** Every mistake of a new group at once, as createGroup would find them one by one. */
export function newGroupErrors(form: NewGroupForm): FieldErrors {
  return collectErrors([() => checkGroupName(form.name), () => checkGroupDescription(form.description)]);
}

/**
 * A refusal of the shared rules as a message under a field: a rule's own field, or `fallback` for a name taken
 * (ConflictError, 409) or a person or group not found (NotFoundError, 404), with the status the page answers. Anything else is not the form's and goes to the error page.
 */
export function refusalOf(error: unknown, fallback: string): { errors: FieldErrors; status: number } | null {
  if (error instanceof ValidationError) return { errors: { [error.field]: sentence(error.message) }, status: error.status };
  if (error instanceof ConflictError || error instanceof NotFoundError) return { errors: { [fallback]: sentence(error.message) }, status: error.status };
  return null;
}
