import { DEFAULT_HTTP_LIMITS } from '@pipelinejobs/service';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

let m: Manager;
beforeAll(async () => {
  // Timeouts of a second: a stream lasts longer than any of them.
  m = await startManager({
    limits: {
      ...DEFAULT_HTTP_LIMITS,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      keepAliveTimeoutMs: 1000,
    },
    streams: { heartbeatMs: 500 },
  });
});
afterAll(() => m?.stop());

it('keeps an event stream open past the request, headers and keep-alive timeouts', async () => {
  const res = await fetch(`${m.base}/events/stream`, {
    headers: { authorization: `Bearer ${m.keys.reader}` },
  });
  expect(res.status).toBe(200);
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const started = Date.now();
  while (Date.now() - started < 3500) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) throw new Error(`the stream ended after ${Date.now() - started} ms: ${text}`);
    text += decoder.decode(chunk.value);
  }
  await reader?.cancel();
  expect(text.split(': heartbeat').length - 1).toBeGreaterThanOrEqual(5);
});
