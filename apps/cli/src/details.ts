import type { Style } from './ansi.js';

/** `key  value` lines with the keys aligned, for `show` commands. Undefined values are left out. */
export function renderDetails(pairs: readonly [string, string | undefined][], style: Style): string {
  const shown = pairs.filter((pair): pair is [string, string] => pair[1] !== undefined);
  const keyWidth = Math.max(0, ...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${style.dim(key.padEnd(keyWidth))}  ${value}`).join('\n');
}
