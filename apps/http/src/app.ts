import { type InboundRequest, parseInbound } from '@pipelinejobs/adapters';
import type { Principal } from '@pipelinejobs/auth';
import { fsmToJson, isState, isTypedUuid, parseInstant, type TypedUuidType } from '@pipelinejobs/core';
import { isSchemaName, schemas } from '@pipelinejobs/schemas';
import {
  authenticateRequest,
  createJob,
  deleteJob,
  dryRunEvent,
  fsmSvg,
  handleInbound,
  registerPipeline,
  requireRole,
  rotateJobToken,
  ServiceError,
  type Services,
  type TrustProxy,
} from '@pipelinejobs/service';
import * as storage from '@pipelinejobs/storage';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { exactBodyOf, jsonBody, requestErrors } from './body.js';
import { requestLogging } from './logging.js';
import type { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { type OperatorAlarm, operatorAlarm } from './operator-alarm.js';
import { errorHandler, PROBLEM_BASE, problemOf, sendProblem } from './problem.js';
import { rateLimits } from './rate-limit.js';

export interface AppDeps {
  services: Services;
  logger: Logger;
  metrics: Metrics;
  rateLimitPerMinute: number;
  /** Express `trust proxy`: who may say, in X-Forwarded-For, which address the client has. */
  trustProxy?: TrustProxy;
  /** False once shutdown began: /readyz then answers 503. */
  accepting?: () => boolean;
  /** Remembers failures the operator must fix; default: logged once, held for 30 s. */
  alarm?: OperatorAlarm;
}

/** A query parameter given once; twice is a 400 that names it. */
function single(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ServiceError('invalid', `Give the '${name}' parameter once`);
  return value;
}

function uuidParam(req: Request, type: TypedUuidType, what: string): string {
  const uuid = String(req.params.uuid);
  if (!isTypedUuid(uuid, type)) {
    const shown = String(req.params.uuid).slice(0, 64);
    throw new ServiceError(
      'invalid',
      `'${shown}' is not a ${what} UUID (${type === 'pipeline' ? '106' : '107'}...)`,
    );
  }
  return uuid.toLowerCase();
}

function integerParam(req: Request, name: string, min: number, max: number): number | undefined {
  const raw = single(req, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ServiceError('invalid', `'${name}' must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** The admin or job token of a REST call: `token` in the query or the JSON body. */
function tokenOf(req: Request): string | undefined {
  const body = req.body as { token?: unknown } | undefined;
  return single(req, 'token') ?? (typeof body?.token === 'string' ? body.token : undefined);
}

/** `{ [name]: value }` when the object has that member, else `{}`. */
function pick(object: Record<string, unknown>, name: string): Record<string, unknown> {
  return object[name] === undefined ? {} : { [name]: object[name] };
}

export function createApp(deps: AppDeps): Express {
  const { services, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // The client address (req.ip) is the socket's unless a trusted proxy says otherwise.
  app.set('trust proxy', deps.trustProxy === undefined ? false : deps.trustProxy);
  app.use(requestLogging(logger, metrics));
  const limits = rateLimits(deps.rateLimitPerMinute);
  const alarm = deps.alarm ?? operatorAlarm(logger);

  /** Every route with a credential authenticates exactly once; that also charges the rate limit. */
  const authenticate = async (req: Request, jobUuid?: string): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await authenticateRequest(services, {
        authorization: req.headers.authorization,
        nonce: single(req, 'x-nonce'),
        jobUuid,
      });
    } catch (error) {
      limits.address(req);
      throw error;
    }
    limits.principal(req, principal);
    return principal;
  };
  const reader = async (req: Request, jobUuid?: string) => {
    const principal = await authenticate(req, jobUuid);
    requireRole(principal, 'read', 'read jobs and pipelines');
    return principal;
  };

  // Health and documentation: no credential needed.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready: not shutting down, the database answers, this process may write the tables an event
  // writes, and no failure the operator must fix (disk full, ...) was seen in the last 30 s.
  app.get('/readyz', async (_req, res) => {
    const accepting = deps.accepting?.() ?? true;
    const database = accepting && (await services.db.ping());
    const writes = database ? await storage.checkWritable(services.db) : undefined;
    const condition = writes?.ok === false ? writes.error.details.condition : undefined;
    if (writes?.ok === false && typeof condition === 'string') {
      alarm.raise(condition, writes.error.message, writes.error.cause);
    }
    const problem = alarm.current();
    const ready = database && writes?.ok === true && !problem;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      accepting,
      database,
      writable: writes?.ok === true,
      ...(problem ? { condition: problem.condition, detail: problem.detail } : {}),
    });
  });
  app.get('/openapi.json', (req, res) => {
    res.json(openApiDocument(`${req.protocol}://${req.get('host')}`));
  });
  app.get('/schemas/:name', (req, res) => {
    const name = String(req.params.name).replace(/\.json$/, '');
    if (!isSchemaName(name))
      throw new ServiceError('not_found', `No schema '${name.slice(0, 64)}'; see /openapi.json`);
    res.type('application/schema+json').json(schemas[name]);
  });

  app.use(jsonBody(), requestErrors);

  const postMessage = async (req: Request, res: Response) => {
    const command = parseInbound({
      query: req.query,
      body: req.body,
      // Distinct, so that two Idempotency-Key headers are refused rather than joined.
      headers: { ...req.headers, 'idempotency-key': req.headersDistinct['idempotency-key'] },
    } as InboundRequest);
    const jobUuid = command.kind === 'refusal' ? single(req, 'uuid') : command.jobUuid;
    const principal = await authenticate(req, jobUuid);
    if (command.kind === 'refusal') {
      return sendProblem(res, {
        type: `${PROBLEM_BASE}${command.status === 415 ? 'unsupported-media-type' : 'invalid'}`,
        title: command.title,
        status: command.status,
        detail: command.detail,
        ...(command.errors ? { errors: command.errors } : {}),
      });
    }
    const event = command.kind === 'event' ? command.event : 'delete';
    try {
      const handled = await handleInbound(services, principal, command);
      if (handled.kind === 'delete') {
        metrics.events.inc({ event, result: 'applied' });
        return res.json(handled.result);
      }
      const { outcome, replayed } = handled.result;
      metrics.events.inc({ event, result: replayed ? 'replayed' : 'applied' });
      if (replayed) res.set('Idempotent-Replayed', 'true');
      else metrics.transitions.inc({ from: outcome.event.from, to: outcome.event.to });
      res.json(outcome);
    } catch (error) {
      metrics.events.inc({ event, result: (error as { code?: string }).code ?? 'error' });
      throw error;
    }
  };
  app.post('/messages', postMessage);
  app.post('/actors/v2/:actorId/messages', postMessage);

  app.post('/pipelines', async (req, res) => {
    const principal = await authenticate(req);
    const { pipeline, created } = await registerPipeline(services, principal, req.body);
    res.status(created ? 201 : 200).json(pipeline);
  });
  app.get('/pipelines', async (req, res) => {
    await reader(req);
    res.json(
      await storage.listPipelines(services.db, {
        limit: integerParam(req, 'limit', 1, 500),
        before: single(req, 'cursor'),
      }),
    );
  });
  app.get('/pipelines/:uuid', async (req, res) => {
    await reader(req);
    res.json(await storage.getPipeline(services.db, uuidParam(req, 'pipeline', 'pipeline')));
  });

  app.post('/jobs', async (req, res) => {
    const principal = await authenticate(req);
    const { job, created, token, tokenWithheld } = await createJob(services, principal, req.body, {
      exact: exactBodyOf(req),
    });
    res
      .status(created ? 201 : 200)
      .json(token === undefined ? { ...job, token_withheld: tokenWithheld } : { ...job, token });
  });
  app.get('/jobs', async (req, res) => {
    await reader(req);
    const state = single(req, 'state');
    if (state !== undefined && !isState(state)) {
      throw new ServiceError(
        'invalid',
        `'state' must be one of: ${fsmToJson()
          .states.map((s) => s.name)
          .join(', ')}`,
      );
    }
    const since = single(req, 'updated_since');
    const updatedSince = since === undefined ? undefined : parseInstant(since);
    if (since !== undefined && !updatedSince) {
      throw new ServiceError(
        'invalid',
        "'updated_since' must be an ISO 8601 date-time with a time zone, or a date: e.g. 2026-11-28T00:00:00Z or 2026-11-28",
      );
    }
    const pipeline = single(req, 'pipeline_uuid')?.toLowerCase();
    if (pipeline !== undefined && !isTypedUuid(pipeline, 'pipeline')) {
      throw new ServiceError('invalid', "'pipeline_uuid' must be a pipeline UUID (106...)");
    }
    res.json(
      await storage.listJobs(services.db, {
        state: state as storage.ListJobsOptions['state'],
        pipeline_uuid: pipeline,
        updated_since: updatedSince,
        limit: integerParam(req, 'limit', 1, 500),
        cursor: single(req, 'cursor'),
      }),
    );
  });
  app.get('/jobs/:uuid', async (req, res) => {
    const uuid = uuidParam(req, 'pipelinejob', 'job');
    await reader(req, uuid);
    res.json(await storage.getJob(services.db, uuid));
  });
  app.get('/jobs/:uuid/history', async (req, res) => {
    const uuid = uuidParam(req, 'pipelinejob', 'job');
    await reader(req, uuid);
    res.json(
      await storage.listHistory(services.db, uuid, {
        after: integerParam(req, 'after', 0, 2 ** 31 - 1),
        limit: integerParam(req, 'limit', 1, 1000),
      }),
    );
  });
  app.delete('/jobs/:uuid', async (req, res) => {
    const uuid = uuidParam(req, 'pipelinejob', 'job');
    const principal = await authenticate(req, uuid);
    const force = single(req, 'force');
    if (force !== undefined && force !== 'true' && force !== 'false') {
      throw new ServiceError('invalid', "'force' must be true or false");
    }
    res.json(
      await deleteJob(services, principal, { jobUuid: uuid, force: force === 'true', token: tokenOf(req) }),
    );
  });
  app.post('/jobs/:uuid/token', async (req, res) => {
    const uuid = uuidParam(req, 'pipelinejob', 'job');
    const principal = await authenticate(req, uuid);
    const { job, token } = await rotateJobToken(services, principal, uuid, tokenOf(req));
    res.json({ ...job, token });
  });
  app.post('/jobs/:uuid/events/dry-run', async (req, res) => {
    const uuid = uuidParam(req, 'pipelinejob', 'job');
    const principal = await authenticate(req, uuid);
    const name = (req.body as { name?: unknown } | undefined)?.name ?? single(req, 'event');
    if (typeof name !== 'string' || name === '') {
      throw new ServiceError('invalid', 'Send the event to try as {"name": "run"} (or ?event=run)');
    }
    const result = await dryRunEvent(services, principal, {
      jobUuid: uuid,
      event: name,
      token: tokenOf(req),
    });
    if (result.accepted) return res.json(result);
    // What sending it would have answered: the same status and problem, inside a 200.
    const { refusal, ...rest } = result;
    const problem = problemOf(refusal.code, refusal.message, refusal.details);
    res.json({
      ...rest,
      status: problem.status,
      reason: problem.detail,
      ...pick(problem, 'allowed'),
      problem,
    });
  });

  app.get('/fsm', async (req, res) => {
    await reader(req);
    res.json(fsmToJson());
  });
  app.get('/fsm.svg', async (req, res) => {
    await reader(req);
    res.type('image/svg+xml').send(await fsmSvg());
  });
  app.get('/jobs/:uuid/fsm.svg', async (req, res) => {
    const uuid = uuidParam(req, 'pipelinejob', 'job');
    await reader(req, uuid);
    const job = await storage.getJob(services.db, uuid);
    res.type('image/svg+xml').send(await fsmSvg({ highlight: job.state, title: `job:${uuid}` }));
  });
  app.get('/metrics', async (req, res) => {
    await reader(req);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use((req, _res, next) => {
    next(
      new ServiceError('not_found', `No route ${req.method} ${req.path.slice(0, 200)}; see /openapi.json`),
    );
  });
  app.use(requestErrors, limits.refused, errorHandler(logger, alarm));
  return app;
}
