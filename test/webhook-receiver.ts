import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, and what it answered. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

type Answer = number | { status: number; headers: Record<string, string> };

/**
 * A real HTTP receiver of notifications on 127.0.0.1: records every request, answers what
 * `answer` says (default 204), when it says (it may be late). `down()` closes its socket (connections are refused) and `up()`
 * listens again on the same port.
 */
export async function startReceiver(
  answer: (body: string) => number | { status: number; headers: Record<string, string> } = () => 204,
) {
  const received: Received[] = [];
  let respond: (body: string) => Answer | Promise<Answer> = answer;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = await respond(body);
      const { status, headers } = typeof answered === 'number' ? { status: answered, headers: {} } : answered;
      received.push({ headers: req.headers, body, status });
      res.writeHead(status, headers).end();
    });
  });
  const listenOn = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listenOn(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** The requests answered 2xx: what the receiver accepted. */
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    answer(next: (body: string) => Answer | Promise<Answer>) {
      respond = next;
    },
    async down() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    up: () => listenOn(port),
    async stop() {
      server.closeAllConnections();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Waits until `done` holds, polling; fails after `timeoutMs` saying what it waited for. */
export async function eventually(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
