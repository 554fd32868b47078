import { MAX_JSON_DEPTH } from '@pipelinejobs/core';

/**
 * Whether a parsed body nests arrays and objects deeper than `max` levels. Iterative, so a
 * pathological body cannot overflow the stack here; after this check, recursive walks are safe.
 */
export function exceedsJsonDepth(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
