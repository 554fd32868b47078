import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from './retry.js';

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('is full jitter under a doubling ceiling, capped, and at least what the server asked', () => {
    expect(backoffMs(DEFAULT_RETRY, 0, undefined, () => 0.999)).toBe(199);
    expect(backoffMs(DEFAULT_RETRY, 3, undefined, () => 0.5)).toBe(800);
    expect(backoffMs(DEFAULT_RETRY, 20, undefined, () => 0.999)).toBe(29_970);
    expect(backoffMs(DEFAULT_RETRY, 0, undefined, () => 0)).toBe(0);
    expect(backoffMs(DEFAULT_RETRY, 0, 1000, () => 0.5)).toBe(1000);
  });
});
