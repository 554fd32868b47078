import type { JobUuid } from '@pipelinejobs/core';
import { authenticateRequest, type Principal, ServiceError, type Services } from '@pipelinejobs/service';
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';
import type { OperatorAlarm } from '../operator-alarm.js';
import type { rateLimits } from '../rate-limit.js';

/** What every route module is given: the use cases' services and the app's own pieces. */
export interface RouteContext {
  readonly services: Services;
  readonly metrics: Metrics;
  readonly alarm: OperatorAlarm;
  readonly limits: ReturnType<typeof rateLimits>;
  /** False once shutdown began: /readyz then answers 503. */
  readonly accepting: () => boolean;
}

/** A query parameter given once; twice is a 400 that names it. */
export function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ServiceError('invalid', `Give the '${name}' parameter once`);
  return value;
}

/** The admin or job token a REST call carries: `token` in the query or in the JSON body. */
export function requestToken(req: Request): string | undefined {
  const body = req.body as { token?: unknown } | undefined;
  return single(req, 'token') ?? (typeof body?.token === 'string' ? body.token : undefined);
}

/**
 * Who is calling: every request with a credential is authenticated exactly once, which also
 * charges the rate limit before anything is spent (to the principal, or to the address when
 * authentication fails). A bearer credential is authenticated before the body is read (see
 * `bearerFirst`); a nonce after, since its scope is checked against the job the body may name.
 * `consume: false` checks a nonce without spending a use (dry runs).
 */
export async function authenticated(
  ctx: RouteContext,
  req: Request,
  jobUuid?: JobUuid,
  options: { consume?: boolean } = {},
): Promise<Principal> {
  const known = req.res?.locals.principal as Principal | undefined;
  if (known) return known;
  try {
    return await authenticateRequest(
      ctx.services,
      {
        authorization: req.headers.authorization,
        nonce: single(req, 'x-nonce'),
        jobUuid,
        consume: options.consume,
      },
      { admit: (principal) => ctx.limits.principal(req, principal) },
    );
  } catch (error) {
    ctx.limits.address(req);
    throw error;
  }
}

/**
 * Middleware before the body is read: a request over its address's budget is refused at once,
 * and a bearer credential (API key or JWT: no job scope to check) is authenticated and charged,
 * so a caller over its limit costs neither a body parse nor a write.
 */
export function bearerFirst(ctx: RouteContext): RequestHandler {
  return (req, res, next) => {
    if (req.headers.authorization === undefined) {
      try {
        ctx.limits.guardAddress(req);
      } catch (limited) {
        return next(limited);
      }
      return next();
    }
    authenticated(ctx, req).then((principal) => {
      res.locals.principal = principal;
      next();
    }, next);
  };
}
