// Reading the client forms' fields as text (client-forms.ts, client-access-form.ts): what a person typed, kept as
// typed so that a refused form comes back exactly as it was sent.

export type FormBody = Record<string, unknown>;

export function bodyOf(body: unknown): FormBody {
  return typeof body === 'object' && body !== null ? (body as FormBody) : {};
}

/** A field as text for showing it again: the first value when it was sent twice, which is refused anyway. */
export function shown(body: FormBody, name: string): string {
  const value = body[name];
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : '';
}

/** Whether the form had the field at all: a form without it leaves the setting as it is. */
export function sent(body: FormBody, name: string): boolean {
  return Object.hasOwn(body, name);
}

/**
 * One URI a line. Blank lines and the spaces a textarea adds around a line are dropped: a URI cannot contain
 * whitespace, so nothing that is part of a URI is lost, and anything else is left to the shared rules.
 */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
