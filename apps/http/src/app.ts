import { ServiceError, type Services, type TrustProxy } from '@pipelinejobs/service';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { jsonBody, requestErrors } from './body.js';
import { requestLogging } from './logging.js';
import type { Metrics } from './metrics.js';
import { type OperatorAlarm, operatorAlarm } from './operator-alarm.js';
import { errorHandler } from './problem.js';
import { parseQuery } from './query.js';
import { rateLimits } from './rate-limit.js';
import { bearerFirst, type RouteContext } from './routes/context.js';
import { documentationRoutes, readerDocumentRoutes } from './routes/docs.js';
import { jobRoutes } from './routes/jobs.js';
import { messageRoutes } from './routes/messages.js';
import { pipelineRoutes } from './routes/pipelines.js';

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
  /** Why this process's shared settings are no longer the database's, once that was seen. */
  settingsDrift?: () => Error | undefined;
}

/**
 * The Manager's HTTP app: request logging, the routes of each resource (routes/), and the one
 * error handler that renders every refusal as a problem document.
 */
export function createApp(deps: AppDeps): Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', parseQuery);
  // The client address (req.ip) is the socket's unless a trusted proxy says otherwise.
  app.set('trust proxy', deps.trustProxy === undefined ? false : deps.trustProxy);
  app.use(requestLogging(logger, deps.metrics));
  const ctx: RouteContext = {
    services: deps.services,
    metrics: deps.metrics,
    alarm: deps.alarm ?? operatorAlarm(logger),
    limits: rateLimits(deps.rateLimitPerMinute),
    accepting: deps.accepting ?? (() => true),
    settingsDrift: deps.settingsDrift ?? (() => undefined),
  };

  // Health and documentation need no credential and no body; the rest authenticate a bearer
  // credential before the body is read.
  const router = express.Router();
  documentationRoutes(router, ctx);
  router.use(bearerFirst(ctx), jsonBody(), requestErrors);
  messageRoutes(router, ctx);
  pipelineRoutes(router, ctx);
  jobRoutes(router, ctx);
  readerDocumentRoutes(router, ctx);
  app.use(router);

  app.use((req, _res, next) => {
    next(
      new ServiceError('not_found', `No route ${req.method} ${req.path.slice(0, 200)}; see /openapi.json`),
    );
  });
  app.use(requestErrors, ctx.limits.refused, errorHandler(logger, ctx.alarm));
  return app;
}
