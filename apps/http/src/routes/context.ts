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
  /** Why this process's shared settings are no longer the database's, once that was seen. */
  readonly settingsDrift: () => Error | undefined;
  /** GET /metrics without a credential. */
  readonly metricsPublic: boolean;
}

/**
 * The refusal of every authenticated request once this process's secret, admin key or token
 * lifetime were replaced in the database (`pipelinejobs settings adopt`): it would hand out
 * tokens the other processes refuse, or accept ones they no longer mint.
 */
function refuseOnDrift(ctx: RouteContext): void {
  const drift = ctx.settingsDrift();
  if (drift === undefined) return;
  throw new ServiceError(
    'unavailable',
    `This Manager's settings are no longer the database's (${drift.message}): restart it with the settings now in use`,
    { condition: 'settings_changed' },
  );
}

/** The URL parameter every authenticated route accepts: the nonce credential. */
const CREDENTIAL_PARAMETER = 'x-nonce';

/**
 * Middleware of a route that reads these URL parameters and no others: any other (a typo such as
 * `?stat=RUNNING`, which would list every job, or `?frce=true` on a delete) is a 400 naming it and
 * the accepted ones, before anything is read or written. `x-nonce` is accepted everywhere.
 */
export function accepts(...names: string[]): RequestHandler {
  const accepted = new Set([...names, CREDENTIAL_PARAMETER]);
  const list = [...accepted].join(', ');
  return (req, _res, next) => {
    const unknown = Object.keys(req.query).filter((name) => !accepted.has(name));
    if (unknown.length === 0) return next();
    const shown = unknown.map((name) => `'${name.slice(0, 40)}'`).join(', ');
    next(
      new ServiceError(
        'invalid',
        `${req.method} ${req.route?.path ?? req.path} does not take the URL parameter${unknown.length > 1 ? 's' : ''} ${shown}; it accepts ${list}`,
        {
          errors: unknown.slice(0, 20).map((name) => ({
            path: `/url/${name.slice(0, 40)}`,
            message: `/url/${name.slice(0, 40)} is not a parameter of this route`,
          })),
        },
        { title: 'Unknown URL parameter' },
      ),
    );
  };
}

/** A query parameter given once; twice is a 400 that names it. */
export function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ServiceError('invalid', `Give the '${name}' parameter once`);
  return value;
}

/**
 * A field a REST call may carry in the query or in its JSON body (`token`, a dry run's event):
 * either, or both if they agree; two different values are a 400 naming both, never one chosen.
 */
export function bodyOrQuery(req: Request, bodyField: string, queryName: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const fromBody = typeof body?.[bodyField] === 'string' ? (body[bodyField] as string) : undefined;
  const fromQuery = single(req, queryName);
  if (fromBody !== undefined && fromQuery !== undefined && fromBody !== fromQuery) {
    throw new ServiceError(
      'invalid',
      `The body's ${bodyField} and the URL parameter ${queryName} differ: send it in one place, or the same value in both`,
      {
        errors: [
          { path: `/${bodyField}`, message: `/${bodyField} differs from the URL parameter ${queryName}` },
          { path: `/url/${queryName}`, message: `/url/${queryName} differs from the body's /${bodyField}` },
        ],
      },
      { title: 'Body and URL disagree' },
    );
  }
  return fromBody ?? fromQuery;
}

/** The admin or job token a REST call carries: `token` in the query or in the JSON body. */
export const requestToken = (req: Request) => bodyOrQuery(req, 'token', 'token');

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
  refuseOnDrift(ctx);
  const known = req.res?.locals.principal as Principal | undefined;
  if (known) return known;
  try {
    // Node keeps the first of two Authorization headers and drops the other without a word.
    const headers = req.headersDistinct.authorization?.length ?? 0;
    if (headers > 1) {
      throw new ServiceError(
        'unauthenticated',
        `The request carries ${headers} Authorization headers: send one, \`Bearer <API key or JWT>\``,
      );
    }
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
