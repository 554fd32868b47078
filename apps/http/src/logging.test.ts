import { describe, expect, it } from 'vitest';
import { parseTraceparent } from './logging.js';

describe('parseTraceparent', () => {
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';

  it("reads a W3C traceparent's trace and parent ids", () => {
    expect(parseTraceparent(`00-${trace}-${parent}-01`)).toEqual({ traceId: trace, parentId: parent });
    // A later version is read as version 00, extra fields allowed.
    expect(parseTraceparent(`01-${trace}-${parent}-00-later`)).toEqual({ traceId: trace, parentId: parent });
  });

  it('ignores what the recommendation says to ignore', () => {
    for (const header of [
      undefined,
      '',
      `ff-${trace}-${parent}-01`,
      `00-${'0'.repeat(32)}-${parent}-01`,
      `00-${trace}-${'0'.repeat(16)}-01`,
      `00-${trace.toUpperCase()}-${parent}-01`,
      `00-${trace}-${parent}-01-extra`,
      `00-${trace}-${parent}`,
    ]) {
      expect(parseTraceparent(header), String(header)).toBeUndefined();
    }
  });
});
