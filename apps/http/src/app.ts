import {
  DEFAULT_STREAM_SETTINGS,
  ServiceError,
  type Services,
  type StreamSettings,
  type TrustProxy,
} from '@pipelinejobs/service';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { allowedMethods } from './allowed-methods.js';
import { jsonBody, requestErrors } from './body.js';
import { optionsAndCors } from './cors.js';
import { dashboardRoutes } from './dashboard.js';
import { requestLogging } from './logging.js';
import type { Metrics } from './metrics.js';
import { type OperatorAlarm, operatorAlarm } from './operator-alarm.js';
import { errorHandler, HttpRefusal } from './problem.js';
import { queryOnce } from './query.js';
import { rateLimits } from './rate-limit.js';
import { bearerFirst, type RouteContext } from './routes/context.js';
import { documentationRoutes, readerDocumentRoutes } from './routes/docs.js';
import { jobRoutes } from './routes/jobs.js';
import { messageRoutes } from './routes/messages.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { problemRoutes } from './routes/problems.js';
import { streamRoutes } from './routes/streams.js';
import { subscriptionRoutes } from './routes/subscriptions.js';

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
  /** Browser origins allowed to call the API (CORS); default none. */
  corsOrigins?: readonly string[] | '*';
  /** GET /metrics without a credential (PIPELINEJOBS_METRICS_PUBLIC). */
  metricsPublic?: boolean;
  /** The built dashboard served at /ui; default the dashboard package's. */
  dashboardDir?: string;
  /** The event streams' framing settings (their caps are the service's: startEventStreams). */
  streams?: StreamSettings;
}

/**
 * The Manager's HTTP app: request logging, the routes of each resource (routes/), and the one
 * error handler that renders every refusal as a problem document.
 */
export function createApp(deps: AppDeps): Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  // The query is parsed once, by queryOnce below; Express's getter would parse it on every read.
  app.set('query parser', false);
  // The client address (req.ip) is the socket's unless a trusted proxy says otherwise.
  app.set('trust proxy', deps.trustProxy === undefined ? false : deps.trustProxy);
  app.use(requestLogging(logger, deps.metrics));
  app.use(queryOnce);
  // Answers carry tokens, keys and nonces; none of them may be kept by a cache on the way.
  // (Static pages, such as the schemas and problem types, say otherwise.)
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  const ctx: RouteContext = {
    services: deps.services,
    metrics: deps.metrics,
    alarm: deps.alarm ?? operatorAlarm(logger),
    limits: rateLimits(deps.rateLimitPerMinute),
    accepting: deps.accepting ?? (() => true),
    settingsDrift: deps.settingsDrift ?? (() => undefined),
    metricsPublic: deps.metricsPublic ?? false,
  };

  // Health and documentation need no credential and no body; the rest authenticate a bearer
  // credential before the body is read.
  // The dashboard's static files: no credential, no body (the page signs in against the API).
  app.use('/ui', dashboardRoutes(deps.dashboardDir));
  const router = express.Router();
  app.use(optionsAndCors(router, deps.corsOrigins ?? []));
  documentationRoutes(router, ctx);
  problemRoutes(router);
  router.use(bearerFirst(ctx), jsonBody(), requestErrors);
  messageRoutes(router, ctx);
  pipelineRoutes(router, ctx);
  jobRoutes(router, ctx);
  streamRoutes(router, ctx, deps.streams ?? DEFAULT_STREAM_SETTINGS);
  subscriptionRoutes(router, ctx);
  readerDocumentRoutes(router, ctx);
  app.use(router);

  app.use((req, _res, next) => {
    const allow = allowedMethods(router, req.path);
    if (allow.length > 0) {
      return next(
        new HttpRefusal(
          'method_not_allowed',
          `${req.path.slice(0, 200)} does not answer ${req.method}; it answers ${allow.join(', ')}`,
          { Allow: allow.join(', ') },
        ),
      );
    }
    next(
      new ServiceError('not_found', `No route ${req.method} ${req.path.slice(0, 200)}; see /openapi.json`),
    );
  });
  app.use(requestErrors, ctx.limits.refused, errorHandler(logger, ctx.alarm));
  return app;
}
