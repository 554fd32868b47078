const MILLISECONDS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * Parses `250ms`, `30s`, `15m`, `12h`, `7d` or `2w` (any letter case) into milliseconds;
 * undefined when it is not one of those or not above zero.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = /^\s*(\d+)\s*(ms|[smhdw])\s*$/i.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const ms = Number(match[1]) * MILLISECONDS[match[2].toLowerCase() as keyof typeof MILLISECONDS];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
