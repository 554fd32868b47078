import type { JobUuid } from '@pipelinejobs/core';
import { authenticateRequest, type Principal, ServiceError, type Services } from '@pipelinejobs/service';
import type { Request } from 'express';
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
 * Who is calling: every route with a credential authenticates exactly once, which also charges
 * the rate limit (to the principal, or to the address when authentication fails).
 */
export async function authenticated(ctx: RouteContext, req: Request, jobUuid?: JobUuid): Promise<Principal> {
  let principal: Principal;
  try {
    principal = await authenticateRequest(ctx.services, {
      authorization: req.headers.authorization,
      nonce: single(req, 'x-nonce'),
      jobUuid,
    });
  } catch (error) {
    ctx.limits.address(req);
    throw error;
  }
  ctx.limits.principal(req, principal);
  return principal;
}
