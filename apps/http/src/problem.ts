import { asServiceError, type ServiceErrorCode } from '@pipelinejobs/service';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { OperatorAlarm } from './operator-alarm.js';

/** What the HTTP parser refuses before any route sees the request (see server.ts). */
type ParserErrorCode = 'headers_too_large' | 'request_timeout' | 'malformed_request';

/** What the HTTP app itself refuses, with no use case involved. */
type HttpErrorCode = 'method_not_allowed';

/** Every code a problem document can have: the use cases', the HTTP parser's and the app's. */
export type ProblemCode = ServiceErrorCode | ParserErrorCode | HttpErrorCode;

interface ProblemType {
  status: number;
  title: string;
  /** What the problem means and what the caller can do: the page at /problems/<slug>. */
  about: string;
}

/**
 * HTTP status, title and meaning of every code; the one status table, which the compiler checks
 * is total. The `about` text is the human-readable page each problem's `type` points at.
 */
export const PROBLEM_TYPES: Record<ProblemCode, ProblemType> = {
  invalid: {
    status: 400,
    title: 'Invalid request',
    about:
      'The request cannot be used as sent: a body that does not match its schema, a parameter out of range, a malformed UUID or cursor, or a body and URL that disagree. `detail` says what was wrong and `errors` lists each offending JSON pointer. Fix the request and send it again; nothing was written.',
  },
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    about:
      'No credential, or one that is not valid (unknown, revoked, malformed). Send `Authorization: Bearer <API key or JWT>` or `?x-nonce=<nonce>`; the `WWW-Authenticate` header says the scheme. An operator creates API keys with `pipelinejobs keys create --role <role>`.',
  },
  expired: {
    status: 401,
    title: 'Credential expired',
    about:
      'The credential was valid once but has expired (a JWT past its `exp`, a nonce past its expiry). Obtain a new one.',
  },
  exhausted: {
    status: 401,
    title: 'Nonce used up',
    about:
      'The nonce has been used as many times as it allows. Ask an admin for a new one (`pipelinejobs nonces create`).',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    about:
      "The credential is valid but does not allow this: its role (reader, reporter, agent, admin), a nonce limited to another job, or a missing or wrong job token or admin token. Use the job's token (returned when the job was created) or an admin token.",
  },
  not_found: {
    status: 404,
    title: 'Not found',
    about:
      'No such job, pipeline, schema or route. Check the UUID (107... for jobs, 106... for pipelines) or the path; /openapi.json lists every route.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    about:
      'The path exists but does not answer this method. The `Allow` header lists the methods it answers.',
  },
  not_allowed: {
    status: 409,
    title: 'Event not allowed in the current state',
    about:
      "The job's state machine refuses the event in the job's current state. `state` names that state and `allowed` the events it accepts; GET /fsm has the whole table. Nothing was written.",
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    about:
      'The request conflicts with the current data (a record that already exists, a concurrent change). Read the current state and retry if it still makes sense.',
  },
  gone: {
    status: 410,
    title: 'Deleted',
    about:
      'The job was deleted: it refuses events and is left out of listings. Its history stays readable until it is force-deleted.',
  },
  too_large: {
    status: 413,
    title: 'Request body too large',
    about:
      'The body is over 1 MiB (after decompression). Send less data with the event, or store it elsewhere and send a reference.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    about:
      'The body is not JSON in UTF-8, or its Content-Encoding is not gzip, deflate or br. Send `Content-Type: application/json` (UTF-8).',
  },
  key_reused: {
    status: 422,
    title: 'Idempotency key reused',
    about:
      'The idempotency key (Idempotency-Key, `event_id`, or a Tapis `eventUuid`) was already used on this job for a different request. Use a new key for a new request; a repeat of the same request gets the first answer.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    about:
      'The credential (or the client address) sent more requests this minute than the Manager allows. Wait the `Retry-After` seconds.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    about:
      "The Manager failed unexpectedly. The request's `request_id` finds the cause in the Manager's log; retrying may not help.",
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    about:
      'The database cannot be reached, or refuses writes for a reason an operator must fix (`condition`: read_only, permission_denied, disk_full, ...). Retry after `Retry-After` seconds; GET /readyz says when the Manager is ready again.',
  },
  headers_too_large: {
    status: 431,
    title: 'Request Header Fields Too Large',
    about: 'The request headers are over 16 KiB. Send fewer or shorter headers.',
  },
  request_timeout: {
    status: 408,
    title: 'Request Timeout',
    about:
      'The request (headers, or the whole body) did not arrive in time and the connection was closed. Send it again.',
  },
  malformed_request: {
    status: 400,
    title: 'Bad Request',
    about:
      'The request is not valid HTTP/1.1 (request line, header names or values, framing). Check how the client builds it.',
  },
};

/** Where each problem type is described: a page of this Manager, `/problems/<slug>`. */
export const PROBLEMS_PATH = '/problems/';

/** The slug of a code in problem type URIs: `not_found` -> `not-found`. */
export const problemSlug = (code: ProblemCode) => code.replaceAll('_', '-');

/** The code of a slug, when it is one (spelt as `problemSlug` spells it: one address per page). */
export function problemCodeOf(slug: string): ProblemCode | undefined {
  const code = slug.replaceAll('-', '_');
  return Object.hasOwn(PROBLEM_TYPES, code) && problemSlug(code as ProblemCode) === slug
    ? (code as ProblemCode)
    : undefined;
}

/**
 * A refusal of the HTTP app's own (no use case ran), rendered by the one error handler like any
 * other, with the headers it needs (`Allow` for a 405).
 */
export class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal';
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  [extension: string]: unknown;
}

/** What a problem is made of: a ServiceError, or the HTTP parser's refusal. */
export interface Failure {
  readonly code: ProblemCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly title?: string | undefined;
}

export function problemOf(failure: Failure): Problem {
  const { status, title } = PROBLEM_TYPES[failure.code];
  return {
    // A URI reference resolved against the request's URL: the page this Manager serves, whatever
    // its host name (RFC 9457 §3.1.1).
    type: `${PROBLEMS_PATH}${problemSlug(failure.code)}`,
    title: failure.title ?? title,
    status,
    detail: failure.message,
    ...failure.details,
  };
}

/**
 * The request path as a valid URI reference for `instance`: the HTTP parser lets through bytes
 * that a URI may not hold (quotes, braces, non-ASCII, a `%` without two hex digits); those are
 * percent-encoded, the rest kept as sent.
 */
function instanceOf(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path
    .replace(/%(?![0-9A-Fa-f]{2})/g, '%25')
    .replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) =>
      [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    );
}

function sendProblem(res: Response, problem: Problem): void {
  const requestId = res.locals.requestId as string | undefined;
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      ...problem,
      instance: instanceOf(res.req.originalUrl),
      ...(requestId ? { request_id: requestId } : {}),
    });
}

/** The innermost cause's message, for the log line of a failed request. */
function causeLine(error: Error): string {
  let current: unknown = error;
  let message = error.message;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = current.cause;
  }
  return message;
}

/**
 * The one error handler: every error becomes an RFC 9457 problem document. A failure the operator
 * must fix (a 503 with a `condition`) goes to the alarm, which logs it once, not per request.
 */
export function errorHandler(logger: Logger, alarm?: OperatorAlarm): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof HttpRefusal) {
      res.set(error.headers);
      return sendProblem(res, problemOf(error));
    }
    const failure = asServiceError(error);
    const problem = problemOf(failure);
    const condition = failure.code === 'unavailable' ? failure.details.condition : undefined;
    if (typeof condition === 'string' && alarm) {
      alarm.raise(condition, failure.message, failure.cause ?? failure);
    } else if (problem.status >= 500) {
      // The client gets a generic problem; the log has the cause (PostgreSQL's own message).
      logger.error(
        { err: failure.cause ?? failure, requestId: res.locals.requestId, ...res.locals.trace },
        `request failed: ${causeLine(failure)}`,
      );
    }
    if (failure.code === 'unavailable') res.set('Retry-After', '5');
    // RFC 9110: a 401 says how to authenticate; a credential that was sent and refused is an
    // invalid token in RFC 6750's terms.
    if (problem.status === 401) {
      const sent = req.headers.authorization !== undefined || req.query['x-nonce'] !== undefined;
      res.set(
        'WWW-Authenticate',
        `Bearer realm="pipelinejobs"${sent ? `, error="invalid_token", error_description="${problem.title}"` : ''}`,
      );
    }
    sendProblem(res, problem);
  };
}
