// What a person reads of an error on a page (issue 25): its translation when it carries one (GatehouseError.shown),
// else its English message. Machines (JSON, the CLI, logs) keep the English message whatever the page's language.
import { GatehouseError } from '../errors.js';
import type { Translate } from './catalog.js';

export function errorText(t: Translate, error: unknown): string {
  if (error instanceof GatehouseError && error.text) return t(error.text.key, error.text.values);
  return error instanceof Error ? error.message : String(error);
}

/** A refusal as a page shows it: `description` in the page's language, `original` the English it stands for, if any. */
export interface ShownError {
  description: string;
  original: string | null;
}

/**
 * The error's translation when it carries one; on an English page its English message; otherwise `lead()` (a
 * sentence in the page's language saying what happened) with the English message kept as `original`, which the
 * page marks lang="en" so it is read out as English.
 */
export function shownError(locale: { t: Translate; language: string }, error: unknown, message: string, lead: () => string): ShownError {
  if (error instanceof GatehouseError && error.text) return { description: errorText(locale.t, error), original: null };
  if (locale.language === 'en') return { description: message, original: null };
  return { description: lead(), original: message };
}
