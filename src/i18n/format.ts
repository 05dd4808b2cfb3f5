// Dates and times as the person reads them: Intl in their language and time zone (issue 25). The time zone is
// the one saved on their account, else the browser's (the time-zone cookie public/time-zone.js sets), else UTC,
// which is then named so nobody misreads it.
import type { Language } from './languages.js';

/** An IANA time zone Intl knows, else null (a cookie or a stored value is never trusted blindly). */
export function validTimeZone(zone: string | null | undefined): string | null {
  if (!zone || zone.length > 64) return null;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export interface DateFormatter {
  /** 7 Dec 2026, 14:05 CET (medium date, short time, the zone's short name). */
  dateTime(at: number): string;
  /** 7 Dec 2026. */
  date(at: number): string;
  timeZone: string;
}

export function dateFormatter(language: Language, timeZone: string | null): DateFormatter {
  const zone = validTimeZone(timeZone) ?? 'UTC';
  // Made at the first date shown: most pages show none, and making them took 16 ms of a cold start (issue 27).
  let formats: { dateTime: Intl.DateTimeFormat; zoneName: Intl.DateTimeFormat; date: Intl.DateTimeFormat } | undefined;
  const made = () =>
    (formats ??= {
      dateTime: new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }),
      zoneName: new Intl.DateTimeFormat(language, { timeZone: zone, timeZoneName: 'short' }),
      date: new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone: zone }),
    });
  return {
    timeZone: zone,
    dateTime: (at) => {
      const { dateTime, zoneName } = made();
      const name = zoneName.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? zone;
      return `${dateTime.format(at)} ${name}`;
    },
    date: (at) => made().date.format(at),
  };
}
