import { parseJsonExact } from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';
import express, { type NextFunction, type Request, type Response } from 'express';

/** Bodies above this are refused with 413 (DESIGN.md §5). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Deeper JSON is refused with 400: no legitimate event nests this far. */
export const MAX_DEPTH = 64;

/** The body text as received, for the exact job identity (1.0 vs 1). */
const rawBodies = new WeakMap<Request, string>();
export const rawBodyOf = (req: Request): string | undefined => rawBodies.get(req);

/** Where the JSON goes wrong, naming one character at most (never echoing the body, which may hold a token). */
function jsonProblem(raw: string): string {
  try {
    parseJsonExact(raw);
    return 'unparseable';
  } catch (error) {
    return (error as Error).message;
  }
}

function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Reads a JSON body: `application/json` and `+json` types, and, for the original's callers
 * (`curl --data` sends form-encoding, some platforms text/plain), any body that is JSON text.
 * Empty bodies are fine (URL-parameter events). Everything else is a 415 that says what to send.
 */
export function jsonBody() {
  const text = express.text({ type: () => true, limit: BODY_LIMIT_BYTES, defaultCharset: 'utf-8' });
  return [
    text,
    (req: Request, _res: Response, next: NextFunction) => {
      const raw = typeof req.body === 'string' ? req.body : '';
      if (raw.trim() === '') {
        req.body = undefined;
        return next();
      }
      const type = req.headers['content-type'] ?? '';
      const declaredJson = /^application\/([\w.-]+\+)?json\b/i.test(type);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        if (
          !declaredJson &&
          !/^(text\/plain|application\/x-www-form-urlencoded)\b/i.test(type) &&
          type !== ''
        ) {
          return next(
            new ServiceError(
              'unsupported_media_type',
              `Send JSON with Content-Type: application/json (got ${type})`,
            ),
          );
        }
        return next(new ServiceError('invalid', `The body is not valid JSON: ${jsonProblem(raw)}`));
      }
      if (depthExceeds(parsed, MAX_DEPTH)) {
        return next(new ServiceError('invalid', `The JSON body nests deeper than ${MAX_DEPTH} levels`));
      }
      rawBodies.set(req, raw);
      req.body = parsed;
      next();
    },
  ];
}

/**
 * Turns the framework's own errors into problems: the router's malformed percent-escapes in a
 * path, and body-parser's size, charset, Content-Encoding (unknown, or a body that does not
 * inflate) and bodies cut short. Any other 4xx they raise is a 400; none of them is a 5xx.
 */
export function requestErrors(error: unknown, req: Request, _res: Response, next: NextFunction) {
  const { type, status } = (error ?? {}) as { type?: string; status?: unknown };
  if (error instanceof URIError) {
    return next(
      new ServiceError('invalid', 'The URL path holds a malformed percent-escape; write a literal % as %25'),
    );
  }
  if (type === 'entity.too.large' || status === 413) {
    return next(new ServiceError('too_large', `The body is larger than ${BODY_LIMIT_BYTES} bytes (1 MiB)`));
  }
  if (type === 'charset.unsupported') {
    return next(new ServiceError('unsupported_media_type', 'Send the body as UTF-8 JSON'));
  }
  if (type === 'encoding.unsupported' || status === 415) {
    const encoding = String(req.headers['content-encoding'] ?? '').slice(0, 40);
    return next(
      new ServiceError(
        'unsupported_media_type',
        `Content-Encoding ${encoding} is not supported; send the body uncompressed, or gzip, deflate or br`,
      ),
    );
  }
  if (type === 'request.aborted' || type === 'request.size.invalid') {
    return next(new ServiceError('invalid', 'The request body was incomplete'));
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const encoding = req.headers['content-encoding'];
    return next(
      new ServiceError(
        'invalid',
        encoding
          ? 'The body could not be decoded with its Content-Encoding; check that it is compressed as declared'
          : 'The request body could not be read',
      ),
    );
  }
  next(error);
}
