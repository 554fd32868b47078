import http from 'node:http';

/**
 * A keep-alive HTTP client on node:http with up to 64 sockets per Manager, so concurrency is real
 * (fetch's default pool would queue). Transport failures are answers too: status 0 with `error`
 * (connection refused or reset, timeout), never an exception, because the crash and outage tests
 * count them.
 */
const keepAlive = new http.Agent({
  keepAlive: true,
  maxSockets: 64,
  maxFreeSockets: 64,
  // Idle sockets close after 4 s, before the server's 5 s keep-alive timeout does: otherwise a
  // request may go out on a socket the server is closing at that moment (ECONNRESET).
  timeout: 4000,
});

export interface HttpRequest {
  method: string;
  /** Sent as is (already encoded): the fuzz test sends odd paths on purpose. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Default 30 s; a request that takes longer counts as a hang (status 0, error 'timeout'). */
  timeoutMs?: number;
  agent?: http.Agent;
}

export interface HttpResponse {
  /** 0: no HTTP answer (see error). */
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
  ms: number;
  error?: string;
}

export function send(base: string, request: HttpRequest): Promise<HttpResponse> {
  const started = performance.now();
  const url = new URL(base);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = { ...request.headers };
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'transfer-encoding')) {
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve) => {
    let settled = false;
    const finish = (response: Omit<HttpResponse, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...response, ms: performance.now() - started });
    };
    const failed = (error: unknown) =>
      finish({ status: 0, headers: {}, text: '', json: undefined, error: errorName(error) });
    let req: http.ClientRequest;
    try {
      req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: request.method,
          path: request.path,
          headers,
          agent: request.agent ?? keepAlive,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', failed);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            finish({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
          });
        },
      );
    } catch (error) {
      // Refused by node:http itself (a character it will not send): not a server answer.
      finish({ status: -1, headers: {}, text: '', json: undefined, error: errorName(error) });
      return;
    }
    req.setTimeout(request.timeoutMs ?? 30_000, () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', failed);
    req.end(body);
  });
}

function errorName(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e?.code ?? e?.message ?? String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** JSON in, JSON out, with a bearer credential. */
export function sendJson(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return send(base, { method, path, headers, body, timeoutMs: options.timeoutMs });
}

/** Runs `work` over `items` with at most `concurrency` at a time; results in input order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Counts of statuses, e.g. { '200': 812, '409': 188 }. */
export function statusCounts(responses: readonly { status: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
