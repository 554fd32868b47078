/** Plain ANSI SGR codes: [on, off]. No dependency for eight colours. */
const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;

export type StyleName = keyof typeof CODES;
export type Style = Readonly<Record<StyleName, (text: string) => string>>;

/** Styling functions; with `enabled` false they return the text unchanged. */
export function createStyle(enabled: boolean): Style {
  const entries = Object.entries(CODES).map(([name, [on, off]]) => [
    name,
    enabled ? (text: string) => `\u001b[${on}m${text}\u001b[${off}m` : (text: string) => text,
  ]);
  return Object.fromEntries(entries) as Record<StyleName, (text: string) => string>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ANSI escape is the point
const SGR = /\u001b\[[0-9;]*m/g;

/** The text as the terminal shows it, for width computations. */
export function stripAnsi(text: string): string {
  return text.replace(SGR, '');
}

/**
 * Colour only on a terminal, and never when NO_COLOR is set (no-color.org: present and not
 * empty) or `--no-color` was given.
 */
export function colorWanted(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  flag: boolean,
): boolean {
  return flag && stream.isTTY === true && !env.NO_COLOR;
}
