import { ServiceError } from '@pipelinejobs/service';
import type { RequestHandler } from 'express';

/**
 * The most parameters one URL may carry. No route reads more than a handful; a query of
 * thousands (`?a&a&a...`, which fits in the 16 KiB of headers) is refused before it is decoded.
 */
const MAX_QUERY_PARAMETERS = 64;

/** Decodes one `application/x-www-form-urlencoded` component, strictly (UTF-8, no NUL). */
function decode(text: string, name: string | undefined): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new ServiceError(
      'invalid',
      `The URL parameter ${name === undefined ? 'name' : `'${name.slice(0, 40)}'`} is not percent-encoded UTF-8; encode the text as UTF-8 (a literal % as %25)`,
    );
  }
  if (decoded.includes('\u0000')) {
    throw new ServiceError(
      'invalid',
      `The URL parameter '${(name ?? decoded).slice(0, 40)}' holds a NUL character (%00), which cannot be stored`,
    );
  }
  return decoded;
}

/**
 * The query string parser of the app (Express's `query parser` setting): `a=1&a=2&b` as
 * `{a: ['1', '2'], b: ''}`, like the `simple` parser, but strict: a parameter that is not valid
 * UTF-8 (`%FF`, an overlong or surrogate sequence) or holds a NUL is a 400 naming it, where
 * Node's querystring would store U+FFFD in its place. Keys are kept as data (no prototype).
 */
export function parseQuery(text: string | null | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  const parts = (text ?? '').split('&').filter((part) => part !== '');
  if (parts.length > MAX_QUERY_PARAMETERS) {
    throw new ServiceError(
      'invalid',
      `The URL carries more than ${MAX_QUERY_PARAMETERS} parameters; no route reads more than a few: send only those it accepts (see /openapi.json)`,
    );
  }
  for (const part of parts) {
    const equals = part.indexOf('=');
    const name = decode(equals === -1 ? part : part.slice(0, equals), undefined);
    const value = equals === -1 ? '' : decode(part.slice(equals + 1), name);
    const before = query[name];
    if (before === undefined) query[name] = value;
    else if (Array.isArray(before)) before.push(value);
    else query[name] = [before, value];
  }
  return query;
}

/**
 * Parses the URL's query string once per request, before any route runs, and keeps the result as
 * `req.query` (Express 5's own `req.query` is a getter that parses again on every read). A query
 * that cannot be read is refused here; the routes then see an empty one.
 */
export const queryOnce: RequestHandler = (req, _res, next) => {
  const start = req.url.indexOf('?');
  let query: Record<string, string | string[]> = Object.create(null);
  let refusal: unknown;
  try {
    query = parseQuery(start === -1 ? '' : req.url.slice(start + 1));
  } catch (error) {
    refusal = error;
  }
  Object.defineProperty(req, 'query', { value: query, enumerable: true, configurable: true });
  next(refusal);
};
