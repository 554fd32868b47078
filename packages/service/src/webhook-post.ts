import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from './webhook-target.js';

/** What one POST to a receiver got. */
export interface PostResult {
  /** The receiver's status; undefined when none came. */
  statusCode: number | undefined;
  /** Why no status came (refused, timed out, unreachable, target refused). */
  error: string | undefined;
  /** The receiver's Retry-After, in milliseconds from now, when it sent one. */
  retryAfterMs: number | undefined;
  durationMs: number;
}

/** At most this much of an answer is read (and thrown away). */
const MAX_ANSWER_BYTES = 64 * 1024;

function retryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * POSTs one notification. Redirects are not followed (a 3xx is a failed attempt); the whole
 * attempt, answer included, is limited to `timeoutMs`; a target address that is private is
 * refused at connection time unless allowed.
 */
export function postNotification(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowPrivate),
      agent: false,
    });
    const timer = setTimeout(() => {
      request.destroy();
      settle({
        statusCode: undefined,
        error: `no answer within ${options.timeoutMs} ms`,
        retryAfterMs: undefined,
      });
    }, options.timeoutMs);
    request.on('response', (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) response.destroy();
      });
      const done = () =>
        settle({
          statusCode: response.statusCode,
          error: undefined,
          retryAfterMs: retryAfter(response.headers['retry-after'], Date.now()),
        });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      settle({
        statusCode: undefined,
        error: error.code ? `${error.code}: ${error.message}` : error.message,
        retryAfterMs: undefined,
      });
    });
    request.end(body);
  });
}
