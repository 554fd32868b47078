const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** Parses `30s`, `15m`, `12h`, `7d` or `2w` into seconds; undefined when it is not one of those. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const seconds = Number(match[1]) * SECONDS[match[2].toLowerCase() as keyof typeof SECONDS];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}
