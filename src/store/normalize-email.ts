/** The form emails are compared in: uniqueness and look-ups ignore case and surrounding space. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
