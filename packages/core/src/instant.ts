/**
 * RFC 3339 date-times (`2026-11-28T09:30:00Z`, `2026-11-28T09:30:00.123+01:00`, a space for the
 * `T` also accepted) and plain dates (`2026-11-28`, midnight UTC). Nothing else: no local times
 * without an offset, no "Nov 28 2026", no years past 9999, no 30 February.
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2})))?$/i;

/** The instant a strict ISO 8601 text names, or undefined when it is not one. */
export function parseInstant(text: string): Date | undefined {
  const match = INSTANT.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, , offsetHour, offsetMinute] = match.map(Number);
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > new Date(Date.UTC(year, month, 0)).getUTCDate() ||
    (hour ?? 0) > 23 ||
    (minute ?? 0) > 59 ||
    (second ?? 0) > 60 ||
    (offsetHour ?? 0) > 23 ||
    (offsetMinute ?? 0) > 59
  ) {
    return undefined;
  }
  const date = new Date(
    match[4] === undefined ? `${match[1]}-${match[2]}-${match[3]}T00:00:00Z` : text.trim().replace(' ', 'T'),
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}
