import { parseDurationMs } from '@pipelinejobs/core';

/** Parses `30s`, `15m`, `12h`, `7d` or `2w` into seconds; undefined when it is not whole seconds. */
export function parseDuration(text: string): number | undefined {
  const ms = parseDurationMs(text);
  return ms === undefined || ms % 1000 !== 0 ? undefined : ms / 1000;
}
