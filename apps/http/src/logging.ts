import { randomUUID } from 'node:crypto';
import { REDACT_PATHS, REDACTED, redactSecrets, redactUrl } from '@pipelinejobs/service';
import type { NextFunction, Request, Response } from 'express';
import pino, { type Logger } from 'pino';
import type { Metrics } from './metrics.js';

/**
 * The Manager's logger: pino JSON lines (what log collectors read), or readable lines with
 * `pretty` (`LOG_FORMAT`, or a terminal); secrets redacted either way.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      // Error messages and stacks may quote URLs or bodies: redact them too.
      serializers: {
        err: (err: Error) => {
          const serialized = pino.stdSerializers.err(err);
          return {
            ...serialized,
            message: redactSecrets(serialized.message),
            stack: redactSecrets(serialized.stack ?? ''),
          };
        },
      },
    },
    destination,
  );
}

/**
 * A W3C Trace Context `traceparent` header (version 00, or a later version read as 00 does):
 * the caller's trace and span ids, so a request's log line can be found from the caller's trace.
 * Anything malformed is ignored, as the recommendation says; nothing is traced here.
 */
export function parseTraceparent(header: unknown): { traceId: string; parentId: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId = '', parentId = '', , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { traceId, parentId };
}

/**
 * One log line per request (id, method, redacted URL, status, duration, the caller's trace) when
 * its level is enabled (info, or error for a 5xx), and the request metrics always.
 * The request id is taken from `X-Request-Id` when the caller sends a sane one.
 */
export function requestLogging(logger: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const trace = parseTraceparent(req.headers.traceparent);
    if (trace) res.locals.trace = trace;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.latency.observe({ route }, seconds);
      // A 503 is the database's state, reported (once) by the error handler: not an error per request.
      const level = res.statusCode === 503 ? 'warn' : res.statusCode >= 500 ? 'error' : 'info';
      // Build the line only when it will be written: at LOG_LEVEL=warn most requests log nothing.
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          requestId,
          method: req.method,
          url: redactUrl(req.originalUrl),
          status: res.statusCode,
          ms: Math.round(seconds * 10_000) / 10,
          ...(trace ? { traceId: trace.traceId, parentId: trace.parentId } : {}),
        },
        'request',
      );
    });
    next();
  };
}
