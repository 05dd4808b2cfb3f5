// A time an administrator types (`idp audit --since`, `idp registration token create --expires`, the Registration
// screen's expiry) as milliseconds: an ISO 8601 date (`2025-01-31`, midnight UTC) or date and time (seconds and a
// fraction optional), in UTC unless it names an offset: JavaScript would read a bare date and time as local time,
// and the admin screens show UTC. One reading for the CLI and the screens.

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** The time `value` names, in epoch milliseconds; null when it is not such a date or time. */
export function timeFromText(value: string): number | null {
  const match = ISO_TIME.exec(value);
  if (!match) return null;
  // Date.parse rolls 2025-02-30 over into March: only a calendar day that reads back the same is one.
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (day.getUTCFullYear() !== Number(match[1]) || day.getUTCMonth() !== Number(match[2]) - 1 || day.getUTCDate() !== Number(match[3])) return null;
  const ms = Date.parse(match[4] && !match[8] ? `${value}Z` : value);
  return Number.isNaN(ms) ? null : ms;
}
