import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '@pipelinejobs/service';
import type { Express } from 'express';
import { type Failure, problemOf } from './problem.js';
import { addressBudget } from './rate-limit.js';

/** What the HTTP parser refuses before any route sees the request, by Node's error code. */
const CLIENT_ERRORS: Readonly<Record<string, Failure>> = {
  HPE_HEADER_OVERFLOW: {
    code: 'headers_too_large',
    message: 'The request headers are larger than the server accepts (16 KiB); send fewer or shorter headers',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'request_timeout',
    message: 'The request did not arrive in time; send it again',
  },
};
const MALFORMED: Failure = {
  code: 'malformed_request',
  message:
    'The request is not valid HTTP/1.1 (request line, header names or values, or framing); check how it is built',
};

/**
 * Answers a request the HTTP parser could not read with a problem document (from the one status
 * table, as every other refusal) and closes the connection; Node's default is a bare 400 without
 * a body. No route, so no Express response: the answer is written on the socket.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem = problemOf(CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED);
  const body = JSON.stringify(problem);
  // Destroyed once the answer is written (or after a second if the client does not read it): a
  // half-closed socket would otherwise count against the connection caps until the client
  // closes its side, which a slow client never does.
  const gone = setTimeout(() => socket.destroy(), 1000);
  gone.unref();
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => {
      clearTimeout(gone);
      socket.destroy();
    },
  );
}

/** Why the Manager cannot listen, in one line an operator can act on. */
function listenFailure(error: NodeJS.ErrnoException, port: number, host: string): Error {
  const where = `port ${port} on ${host}`;
  const why: Record<string, string> = {
    EADDRINUSE: `${where} is already in use by another process; stop it or set PORT to a free port`,
    EACCES: `${where} needs privileges this process does not have; set PORT to 1024 or above`,
    EADDRNOTAVAIL: `${host} is not an address of this machine; set HOST to one of its addresses (or 0.0.0.0)`,
  };
  return new Error(why[error.code ?? ''] ?? `cannot listen on ${where}: ${error.message}`, { cause: error });
}

/**
 * Caps connections in total and per client address (the socket's: a proxy in front counts as one
 * address; an IPv6 /64 counts as one, as for the rate limit). A connection over a cap is closed at
 * once, before a byte is read; `onRefused` hears about it (the caller throttles what it logs).
 */
function capConnections(server: Server, limits: HttpLimits, onRefused: (why: string) => void): void {
  let open = 0;
  const perAddress = new Map<string, number>();
  // Before Node's own listener, which still runs for a refused socket but finds it destroyed.
  server.prependListener('connection', (socket: Socket) => {
    const address = addressBudget(socket.remoteAddress);
    const mine = perAddress.get(address) ?? 0;
    if (
      open >= limits.maxConnections ||
      (limits.maxConnectionsPerAddress > 0 && mine >= limits.maxConnectionsPerAddress)
    ) {
      socket.destroy();
      onRefused(
        open >= limits.maxConnections
          ? `${open} connections are open, the most PIPELINEJOBS_MAX_CONNECTIONS allows`
          : `${address} has ${mine} connections open, the most PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS allows`,
      );
      return;
    }
    open += 1;
    perAddress.set(address, mine + 1);
    socket.once('close', () => {
      open -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
}

export interface ListenOptions {
  limits?: HttpLimits;
  /** A connection was refused for a cap; called at most once a minute. */
  onRefused?: (why: string) => void;
}

/**
 * Listens on host:port with the Manager's timeouts, connection caps and handling of unreadable
 * requests. Rejects with a one-line reason when the port cannot be had (Express 5's app.listen
 * would call back as if listening).
 */
export function listen(
  app: Express,
  port: number,
  host: string,
  options: ListenOptions = {},
): Promise<Server> {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s, longer than they are).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    app,
  );
  let refusedLoggedAt = Number.NEGATIVE_INFINITY;
  capConnections(server, limits, (why) => {
    if (Date.now() - refusedLoggedAt < 60_000) return;
    refusedLoggedAt = Date.now();
    options.onRefused?.(why);
  });
  server.on('clientError', answerClientError);
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(listenFailure(error, port, host));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}
