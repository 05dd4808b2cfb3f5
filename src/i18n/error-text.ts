// What a person reads of an error on a page (issue 25): its translation when it carries one (GatehouseError.shown),
// else its English message. Machines (JSON, the CLI, logs) keep the English message whatever the page's language.
import { GatehouseError } from '../errors.js';
import type { Translate } from './catalog.js';

export function errorText(t: Translate, error: unknown): string {
  if (error instanceof GatehouseError && error.text) return t(error.text.key, error.text.values);
  return error instanceof Error ? error.message : String(error);
}
