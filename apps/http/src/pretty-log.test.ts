import { describe, expect, it } from 'vitest';
import { prettyLine } from './pretty-log.js';

describe('prettyLine', () => {
  it('writes a pino line as time, level, message and fields', () => {
    const json = JSON.stringify({
      level: 30,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      pid: 1,
      hostname: 'h',
      requestId: 'abc',
      url: '/jobs?state=RUNNING',
      status: 200,
      msg: 'request',
    });
    expect(prettyLine(json, false)).toBe(
      '03:04:05.678 INFO  request requestId=abc url="/jobs?state=RUNNING" status=200\n',
    );
    expect(prettyLine(json, true)).toContain('\u001b[32mINFO \u001b[0m');
  });

  it("puts an error's stack under its line, and passes through what is not JSON", () => {
    const json = JSON.stringify({
      level: 50,
      time: 0,
      msg: 'request failed',
      err: { stack: 'Error: x\n    at y' },
    });
    expect(prettyLine(json, false)).toBe('00:00:00.000 ERROR request failed\n    Error: x\n        at y\n');
    expect(prettyLine('not json', false)).toBe('not json\n');
  });
});
