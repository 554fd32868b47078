import { describe, expect, it } from 'vitest';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7D', 604_800_000],
    ['2w', 1_209_600_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '7', '0s', '-5m', '1.5h', '7 days', '3y', 'ms'])('refuses %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });
});
