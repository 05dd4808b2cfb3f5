// "Try again in 15 minutes" in the page's language (issue 25): the wait of a throttled form, rounded up as
// tryAgainIn (src/auth/throttle.ts) rounds it, said by Intl.RelativeTimeFormat (CLDR: "in 15 minutes",
// "in 15 Minuten", "dans 15 minutes", "15 分後", …), so no translation file carries plural forms of time units.
import { retryAfterSeconds } from '../auth/throttle.js';
import type { Language } from '../i18n/languages.js';

/** When the person may try again, relative to now ("in 1 hour"), for `{{when}}` in a translated sentence. */
export function retryWhen(language: Language, retryAt: number, now: number): string {
  const format = new Intl.RelativeTimeFormat(language, { numeric: 'always', style: 'long' });
  const seconds = retryAfterSeconds(retryAt, now);
  if (seconds < 60) return format.format(seconds, 'second');
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return format.format(minutes, 'minute');
  return format.format(Math.ceil(minutes / 60), 'hour');
}
