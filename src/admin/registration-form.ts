// The form that creates an initial access token on the Registration screen (registration.ts): what was typed,
// kept as typed so that a refused form comes back as it was sent, and turned into the input of the shared rules
// (src/manage/registration-tokens.ts, which decide the bounds: uses 1 to 10,000, an expiry in the future and within
// a year) only when posted. The expiry is a date and time in UTC, as every time on these screens is; an explicit
// offset (ISO 8601, as `idp registration token create --expires` takes) is honoured.
import { ValidationError } from '../errors.js';
import { timeFromText } from '../manage/time-text.js';
import { bodyOf, shown } from './client-form-text.js';

export interface TokenForm {
  /** Registrations it may make, as typed; empty for no limit (until it expires or is revoked). */
  uses: string;
  /** When it stops working, as typed (the datetime-local input's `YYYY-MM-DDTHH:MM`); empty for never. */
  expires: string;
}

/** Messages by field: `uses`, `expires`, or `form` for a refusal that names neither. */
export type TokenFormErrors = Partial<Record<'uses' | 'expires' | 'form', string>>;

export const EMPTY_TOKEN_FORM: TokenForm = { uses: '', expires: '' };

/** What was posted, for redisplay; never throws. */
export function readTokenForm(body: unknown): TokenForm {
  const form = bodyOf(body);
  return { uses: shown(form, 'uses').trim(), expires: shown(form, 'expires').trim() };
}

/** The expiry as epoch milliseconds; a time without a zone is UTC. Throws a ValidationError at `expires`. */
export function expiryFromText(text: string): number {
  const at = timeFromText(text);
  if (at === null) throw new ValidationError('expires', 'the expiry must be a date and time such as 2030-01-31T18:00 (UTC), or empty for never');
  return at;
}

/** The number of uses; throws a ValidationError at `uses` for anything but digits (the rules check the range). */
export function usesFromText(text: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new ValidationError('uses', 'the number of uses must be a whole number from 1 to 10000, or empty for no limit');
  return Number(text);
}

/** The shared rules' input: absent fields are no limit and never. A field sent twice is not from this form. */
export function tokenInput(form: TokenForm, body?: unknown): { uses?: number; expiresAt?: number } {
  for (const name of ['uses', 'expires'] as const) {
    if (body !== undefined && Array.isArray(bodyOf(body)[name])) throw new ValidationError(name, 'this field was sent more than once');
  }
  return {
    ...(form.uses === '' ? {} : { uses: usesFromText(form.uses) }),
    ...(form.expires === '' ? {} : { expiresAt: expiryFromText(form.expires) }),
  };
}
