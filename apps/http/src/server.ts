import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { PROBLEM_BASE } from './problem.js';

/** What the HTTP parser refuses before any route sees the request, as problem+json. */
const CLIENT_ERRORS: Readonly<
  Record<string, { status: number; reason: string; slug: string; detail: string }>
> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: 'Request Header Fields Too Large',
    slug: 'headers-too-large',
    detail: 'The request headers are larger than the server accepts (16 KiB); send fewer or shorter headers',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: 'Request Timeout',
    slug: 'request-timeout',
    detail: 'The request did not arrive in time; send it again',
  },
};
const MALFORMED = {
  status: 400,
  reason: 'Bad Request',
  slug: 'malformed-request',
  detail:
    'The request is not valid HTTP/1.1 (request line, header names or values, or framing); check how it is built',
};

/**
 * Answers a request the HTTP parser could not read with a problem document and closes the
 * connection; Node's default is a bare 400 without a body.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  const body = JSON.stringify({
    type: `${PROBLEM_BASE}${problem.slug}`,
    title: problem.reason,
    status: problem.status,
    detail: problem.detail,
  });
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.reason}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** Listens on host:port with the Manager's handling of unreadable requests. */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
    server.on('clientError', answerClientError);
  });
}
