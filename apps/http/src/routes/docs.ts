import { isSchemaName, schemas } from '@pipelinejobs/schemas';
import {
  authoriseMetrics,
  checkReadiness,
  type Readiness,
  readFsm,
  readFsmSvg,
  ServiceError,
} from '@pipelinejobs/service';
import type { Router } from 'express';
import { openApiDocument } from '../openapi.js';
import { accepts, authenticated, type RouteContext } from './context.js';

/** How long /readyz reuses the database's answer. */
const READINESS_TTL_MS = 1000;

/** Health, readiness, the published documents and the FSM: what describes the Manager itself. */
export function documentationRoutes(router: Router, ctx: RouteContext): void {
  // No credential needed.
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready: not shutting down, the database answers, this process may write the tables an event
  // writes, and no failure the operator must fix (disk full, ...) was seen in the last 30 s.
  // The database's answer is kept a second: an unauthenticated probe cannot make every call cost
  // two queries. A condition first seen after that answer makes it stale at once, so the answer
  // never says writable while the alarm it contradicts holds.
  let checked: { at: number; readiness: Promise<Readiness> } | undefined;
  const readiness = () => {
    const now = Date.now();
    const since = ctx.alarm.current()?.since ?? 0;
    if (!checked || now - checked.at > READINESS_TTL_MS || since >= checked.at) {
      checked = { at: now, readiness: checkReadiness(ctx.services) };
    }
    return checked.readiness;
  };
  router.get('/readyz', async (_req, res) => {
    const drift = ctx.settingsDrift();
    if (drift)
      ctx.alarm.raise(
        'settings_changed',
        `This Manager's settings are no longer the database's: ${drift.message}`,
        drift,
      );
    const accepting = ctx.accepting();
    const state: Readiness = accepting ? await readiness() : { database: false, writable: false };
    const condition = state.failure?.details.condition;
    if (state.failure && typeof condition === 'string') {
      ctx.alarm.raise(condition, state.failure.message, state.failure.cause);
    }
    const problem = ctx.alarm.current();
    const ready = state.database && state.writable && !problem;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      accepting,
      database: state.database,
      writable: state.writable,
      ...(problem ? { condition: problem.condition, detail: problem.detail } : {}),
    });
  });
  const openApi = openApiDocument();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  router.get('/schemas/:name', (req, res) => {
    const name = String(req.params.name).replace(/\.json$/, '');
    if (!isSchemaName(name))
      throw new ServiceError('not_found', `No schema '${name.slice(0, 64)}'; see /openapi.json`);
    res.set('Cache-Control', 'public, max-age=3600').type('application/schema+json').json(schemas[name]);
  });
}

/**
 * The state machine and the metrics: documents that need a reader's credential (the metrics
 * none when the operator says so, for a scraper).
 */
export function readerDocumentRoutes(router: Router, ctx: RouteContext): void {
  router.get('/fsm', accepts(), async (req, res) => {
    res.json(readFsm(await authenticated(ctx, req)));
  });
  router.get('/fsm.svg', accepts(), async (req, res) => {
    res.type('image/svg+xml').send(await readFsmSvg(await authenticated(ctx, req)));
  });
  router.get('/metrics', accepts(), async (req, res) => {
    if (!ctx.metricsPublic) authoriseMetrics(await authenticated(ctx, req));
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
