import { ProblemError, problemOfResponse } from './problem-error.js';
import { backoffMs, DEFAULT_RETRY, RETRYABLE_STATUSES, type RetryPolicy, retryAfterMs } from './retry.js';

/**
 * How the client authenticates: an API key (`pjm_...`), a JWT (a function returning the current
 * token, called before each request, so a refreshed token is used as soon as there is one), or a
 * nonce (sent as `?x-nonce=`).
 */
export type Credentials =
  | { readonly apiKey: string }
  | { readonly jwt: () => string | Promise<string> }
  | { readonly nonce: string };

export interface ClientOptions {
  /** The Manager's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string | URL;
  readonly credentials?: Credentials | undefined;
  /** Retries of calls that may be repeated; `{ attempts: 1 }` turns them off. */
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** Each try is abandoned after this long (a network error, so retried). Default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** The fetch to use; default the platform's. */
  readonly fetch?: typeof fetch | undefined;
  /** Called before each retry, e.g. to log it. */
  readonly onRetry?: ((info: RetryInfo) => void) | undefined;
}

export interface RetryInfo {
  readonly method: string;
  readonly path: string;
  /** The try that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  /** The status that was answered, or the network error. */
  readonly reason: number | Error;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface CallOptions {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Query | undefined;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Whether sending it twice has the effect of sending it once (reads; creates and registrations,
   * which find the existing record by identity; events with an Idempotency-Key): only those are
   * retried, since after a network error the first try may have been applied.
   */
  readonly idempotent: boolean;
  /** `json` (the default), `text`, or `none` (the body is ignored). */
  readonly accept?: 'json' | 'text' | 'none';
  readonly signal?: AbortSignal | undefined;
  /** False: no per-try timeout (a stream stays open as long as it is read). */
  readonly timeout?: boolean;
}

export interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });

/** A 3xx, or the opaque answer a browser gives for a redirect under `redirect: 'manual'`. */
export const isRedirect = (response: Response) =>
  response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);

/** The error of a redirect: not followed, so that nothing is re-sent to another address. */
export async function redirectRefused(response: Response): Promise<ProblemError> {
  await response.body?.cancel();
  const location = response.headers.get('location');
  const where = location ? `a redirect to ${location}` : 'a redirect';
  return new ProblemError({
    type: 'about:blank',
    title: response.statusText || 'Redirect',
    status: response.status,
    detail:
      `The Manager answered ${where}; the client does not follow redirects (they would re-send ` +
      'the credentials and the body elsewhere): configure the baseUrl to the final address',
  });
}

/**
 * One HTTP exchange with the Manager, retried as the policy says. The credentials are held in a
 * private field: JSON.stringify and util.inspect of a client never show them.
 */
export class Transport {
  readonly baseUrl: URL;
  readonly #credentials: Credentials | undefined;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  /** The fetch this client uses. */
  readonly fetch: typeof fetch;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;

  constructor(options: ClientOptions) {
    const base = new URL(options.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.baseUrl = base;
    this.#credentials = options.credentials;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (!Number.isInteger(this.retry.attempts) || this.retry.attempts < 1) {
      throw new TypeError(`retry.attempts must be an integer of at least 1, not ${this.retry.attempts}`);
    }
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.onRetry = options.onRetry;
  }

  /** The absolute URL of a path of the Manager, with its query (credentials left out). */
  url(path: string, query: Query = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  async call<T>(options: CallOptions): Promise<Answer<T>> {
    const tries = options.idempotent ? this.retry.attempts : 1;
    for (let attempt = 1; ; attempt++) {
      let reason: number | Error;
      let asked: number | undefined;
      try {
        const response = await this.once(options);
        if (isRedirect(response)) throw await redirectRefused(response);
        if (response.ok) {
          return {
            status: response.status,
            headers: response.headers,
            body: await this.read<T>(response, options),
          };
        }
        if (!RETRYABLE_STATUSES.has(response.status) || attempt >= tries)
          throw await problemOfResponse(response);
        asked = retryAfterMs(response.headers.get('retry-after'));
        // A wait longer than the client will ever wait: the server's answer is the error.
        if (asked !== undefined && asked > this.retry.maxDelayMs) throw await problemOfResponse(response);
        await response.body?.cancel();
        reason = response.status;
      } catch (error) {
        // A refusal, the caller's abort, or a 2xx body that is not JSON: trying again cannot help.
        if (error instanceof ProblemError || error instanceof SyntaxError || options.signal?.aborted)
          throw error;
        if (attempt >= tries) throw error;
        reason = error as Error;
      }
      const delayMs = backoffMs(this.retry, attempt - 1, asked);
      this.onRetry?.({ method: options.method, path: options.path, attempt, delayMs, reason });
      await sleep(delayMs, options.signal);
    }
  }

  /**
   * Opens a response that is read as it arrives (an event stream): once, no retry, no timeout;
   * the caller checks its status and reads or cancels its body.
   */
  open(options: Omit<CallOptions, 'idempotent' | 'timeout' | 'body'>): Promise<Response> {
    return this.once({ ...options, idempotent: false, timeout: false });
  }

  private async once(options: CallOptions): Promise<Response> {
    const headers: Record<string, string> = {
      accept: options.headers?.accept ?? 'application/json',
      ...options.headers,
    };
    const query: Record<string, string | number | boolean | undefined> = { ...options.query };
    const credentials = this.#credentials;
    if (credentials && 'apiKey' in credentials) headers.authorization = `Bearer ${credentials.apiKey}`;
    else if (credentials && 'jwt' in credentials) headers.authorization = `Bearer ${await credentials.jwt()}`;
    else if (credentials && 'nonce' in credentials) query['x-nonce'] = credentials.nonce;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = options.timeout === false ? undefined : AbortSignal.timeout(this.timeoutMs);
    const signal =
      options.signal && timeout ? AbortSignal.any([options.signal, timeout]) : (options.signal ?? timeout);
    // Never followed: a redirect would re-send the credentials and the body (a job token) to
    // wherever the Location points, and return that origin's answer as the Manager's.
    return this.fetch(this.url(options.path, query), {
      method: options.method,
      headers,
      body,
      signal,
      redirect: 'manual',
    });
  }

  private async read<T>(response: Response, options: CallOptions): Promise<T> {
    const accept = options.accept ?? 'json';
    if (accept === 'none') {
      await response.body?.cancel();
      return undefined as T;
    }
    const text = await response.text();
    return (accept === 'text' ? text : JSON.parse(text)) as T;
  }
}
