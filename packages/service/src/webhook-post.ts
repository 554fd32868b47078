import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { guardedLookup, refusedHost } from './webhook-target.js';

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

/** Keep-alive connections to the receivers, one pool per dispatcher. */
export interface ReceiverAgents {
  http: HttpAgent;
  https: HttpsAgent;
  destroy(): void;
}

export function receiverAgents(maxSockets: number): ReceiverAgents {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 60_000 };
  const agents = { http: new HttpAgent(options), https: new HttpsAgent(options) };
  return {
    ...agents,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
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
 * POSTs one notification, on a kept-alive connection when there is one. Redirects are not followed (a 3xx is a failed attempt); the whole
 * attempt, answer included, is limited to `timeoutMs`; a target address that is private is
 * refused at connection time unless allowed.
 */
export function postNotification(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowPrivate: boolean; agents: ReceiverAgents },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  // Checked at each attempt: the setting may have changed since the subscription was made.
  const refused = refusedHost(new URL(url).hostname, options.allowPrivate);
  if (refused !== undefined) {
    return Promise.resolve({ statusCode: undefined, error: refused, retryAfterMs: undefined, durationMs: 0 });
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const https = url.startsWith('https:');
    const request = (https ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowPrivate),
      agent: https ? options.agents.https : options.agents.http,
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
