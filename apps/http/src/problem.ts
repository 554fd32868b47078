import { asServiceError, type ServiceErrorCode } from '@pipelinejobs/service';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { OperatorAlarm } from './operator-alarm.js';

/** What the HTTP parser refuses before any route sees the request (see server.ts). */
type ParserErrorCode = 'headers_too_large' | 'request_timeout' | 'malformed_request';

/** Every code a problem document can have: the use cases' and the HTTP parser's. */
export type ProblemCode = ServiceErrorCode | ParserErrorCode;

/** HTTP status and title for every code; the one status table, which the compiler checks is total. */
const STATUS: Record<ProblemCode, { status: number; title: string }> = {
  invalid: { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  expired: { status: 401, title: 'Credential expired' },
  forbidden: { status: 403, title: 'Forbidden' },
  exhausted: { status: 401, title: 'Nonce used up' },
  not_found: { status: 404, title: 'Not found' },
  not_allowed: { status: 409, title: 'Event not allowed in the current state' },
  conflict: { status: 409, title: 'Conflict' },
  key_reused: { status: 422, title: 'Idempotency key reused' },
  gone: { status: 410, title: 'Deleted' },
  too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
  headers_too_large: { status: 431, title: 'Request Header Fields Too Large' },
  request_timeout: { status: 408, title: 'Request Timeout' },
  malformed_request: { status: 400, title: 'Bad Request' },
};

const PROBLEM_BASE = 'https://schemas.pipelinejobs.dev/problems/';

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
  const { status, title } = STATUS[failure.code];
  return {
    type: `${PROBLEM_BASE}${failure.code.replaceAll('_', '-')}`,
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

/**
 * The one error handler: every error becomes an RFC 9457 problem document. A failure the operator
 * must fix (a 503 with a `condition`) goes to the alarm, which logs it once, not per request.
 */
export function errorHandler(logger: Logger, alarm?: OperatorAlarm): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const failure = asServiceError(error);
    const problem = problemOf(failure);
    const condition = failure.code === 'unavailable' ? failure.details.condition : undefined;
    if (typeof condition === 'string' && alarm) {
      alarm.raise(condition, failure.message, failure.cause ?? failure);
    } else if (problem.status >= 500) {
      logger.error({ err: failure.cause ?? failure, requestId: res.locals.requestId }, 'request failed');
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
