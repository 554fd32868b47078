import type { RequestHandler, Router } from 'express';
import { allowedMethods } from './allowed-methods.js';

/** What a browser may send besides the CORS-safelisted headers. */
const ALLOWED_HEADERS =
  'Authorization, Content-Type, Content-Encoding, Idempotency-Key, X-Request-Id, traceparent, tracestate';
/** What a browser script may read besides the CORS-safelisted headers. */
const EXPOSED_HEADERS =
  'X-Request-Id, Location, Link, Retry-After, WWW-Authenticate, Allow, Idempotent-Replayed';
/** Seconds a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE = '600';

/**
 * OPTIONS for every known path (204 with `Allow`), and CORS for the origins the operator allows
 * (none by default): a preflight is answered here, before authentication and the rate limit (a
 * browser sends it without credentials), and every answer to an allowed origin says so. An
 * origin that is not allowed gets no CORS header: the browser then refuses the response.
 */
export function optionsAndCors(router: Router, origins: readonly string[] | '*'): RequestHandler {
  const allowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (origins === '*' || origins.includes(origin));
  const on = origins === '*' || origins.length > 0;
  return (req, res, next) => {
    const origin = req.headers.origin;
    // With CORS on, every answer depends on Origin (with it or not, allowed or not): a cache must
    // not serve one kept for another origin (problem pages and schemas may be kept an hour).
    if (on) res.vary('Origin');
    if (allowed(origin)) res.set('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
    if (req.method !== 'OPTIONS') {
      if (allowed(origin)) res.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      return next();
    }
    const methods = allowedMethods(router, req.path);
    if (methods.length === 0) return next();
    res.set('Allow', methods.join(', '));
    if (allowed(origin) && req.headers['access-control-request-method'] !== undefined) {
      res.set({
        'Access-Control-Allow-Methods': methods.join(', '),
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
      });
      res.vary('Access-Control-Request-Method').vary('Access-Control-Request-Headers');
    }
    res.status(204).end();
  };
}
