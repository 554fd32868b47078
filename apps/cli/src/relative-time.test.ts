import { describe, expect, it } from 'vitest';
import { relativeTime } from './relative-time.js';

const now = new Date('2026-11-28T12:00:00.000Z');
const ago = (seconds: number) => relativeTime(new Date(now.getTime() - seconds * 1000), now);

describe('relativeTime', () => {
  it.each([
    [2, 'just now'],
    [12, '12 s ago'],
    [180, '3 min ago'],
    [3580, '1 h ago'],
    [7200, '2 h ago'],
    [86_400, '1 day ago'],
    [86_400 * 3, '3 days ago'],
    [86_400 * 90, '3 months ago'],
    [86_400 * 800, '2 years ago'],
    [-(86_400 * 7 - 1), 'in 7 days'],
    [-900, 'in 15 min'],
  ])('%i s before now reads %s', (seconds, text) => {
    expect(ago(seconds)).toBe(text);
  });

  it('accepts ISO strings and leaves unparseable text as it is', () => {
    expect(relativeTime('2026-11-28T11:57:00.000Z', now)).toBe('3 min ago');
    expect(relativeTime('not a date', now)).toBe('not a date');
  });
});
