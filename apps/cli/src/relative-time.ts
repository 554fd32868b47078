/** [below this many seconds, count in units of, singular, plural]. */
const UNITS: readonly [number, number, string, string][] = [
  [60, 1, 's', 's'],
  [3600, 60, 'min', 'min'],
  [86_400, 3600, 'h', 'h'],
  [86_400 * 30, 86_400, 'day', 'days'],
  [86_400 * 365, 86_400 * 30, 'month', 'months'],
  [Number.POSITIVE_INFINITY, 86_400 * 365, 'year', 'years'],
];

/** "just now", "3 min ago", "2 h ago", "in 7 days": for dates in human tables (--json keeps ISO). */
export function relativeTime(date: Date | string, now: Date = new Date()): string {
  const then = typeof date === 'string' ? new Date(date) : date;
  const diff = Math.round((now.getTime() - then.getTime()) / 1000);
  if (Number.isNaN(diff)) return String(date);
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now';
  for (const [below, unitSeconds, singular, plural] of UNITS) {
    // Rounded, so a 7-day expiry reads "in 7 days" a second later; 59.6 min becomes "1 h".
    const n = Math.round(abs / unitSeconds);
    if (n * unitSeconds < below) {
      const label = `${n} ${n === 1 ? singular : plural}`;
      return diff >= 0 ? `${label} ago` : `in ${label}`;
    }
  }
  return then.toISOString();
}
