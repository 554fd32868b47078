#!/usr/bin/env node
import {
  type Config,
  ConfigError,
  closeServices,
  databaseStats,
  ensureFirstAdminKey,
  hasActiveApiKey,
  openServices,
  readConfig,
  type Services,
  settingsDrift,
  startEventStreams,
  streamStats,
} from '@pipelinejobs/service';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { startDelivering, startSweeping } from './dispatch.js';
import { handOverFirstAdminKey } from './first-admin-key.js';
import { createLogger } from './logging.js';
import { createMetrics } from './metrics.js';
import { prettyDestination } from './pretty-log.js';
import { listen } from './server.js';
import { withStartRetry } from './start-retry.js';

// The Manager's process: `pipelinejobs-manager` (this file). Safe as a container's PID 1: SIGTERM
// and SIGINT drain and exit 0; the exit codes are 0 (stopped), 1 (could not start or serve),
// 2 (a setting is wrong or refused); nothing is left running after it (the embedded PostgreSQL
// stops with its last user).

/** How often the Manager checks that its shared settings are still the database's. */
const SETTINGS_CHECK_MS = 5000;
/** How long in-flight requests may take to finish once shutdown began. */
const DRAIN_MS = 10_000;

const EXIT = { stopped: 0, failed: 1, configuration: 2 } as const;

/** Start banners, for a person: on stderr, never in the JSON log stream on stdout. */
const banner = (line: string) => process.stderr.write(`${line}\n`);

function loggerFor(config: Config): Logger {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY);
  return createLogger(config.logLevel, pretty ? prettyDestination(process.stdout) : undefined);
}

/**
 * The first admin key is made for the embedded default only: with an external database the
 * operator makes it with the CLI (`pipelinejobs keys create --role admin`), as a deliberate step;
 * until then the Manager says so.
 */
async function firstAdminKey(services: Services, config: Config, logger: Logger): Promise<void> {
  const active = await hasActiveApiKey(services);
  if ('dataDir' in config.database) {
    if (active) return;
    const handedOver = await handOverFirstAdminKey(() => ensureFirstAdminKey(services), {
      dataDir: config.dataDir,
      terminal: process.stderr.isTTY ? process.stderr : undefined,
    });
    if (handedOver) logger.info(handedOver);
    return;
  }
  if (!active) {
    logger.warn(
      'no API key exists yet, so no request can authenticate: create the first with `pipelinejobs keys create --role admin` (same DATABASE_URL, PIPELINEJOBS_SECRET and PIPELINEJOBS_DB_SCHEMA as this Manager)',
    );
  }
}

/** The Manager's composition root: configuration, database, app, and graceful shutdown. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = readConfig(process.env, process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(EXIT.configuration);
    }
    throw error;
  }
  const logger = loggerFor(config);
  // Until it serves, a signal stops it (as PID 1, a signal without a handler would be ignored):
  // at once with an external database; with the embedded default once the server this process
  // may be starting is open, so that it is stopped again rather than left running (a second
  // signal does not wait).
  let stopping: string | undefined;
  let shutdown = (signal: string): void => {
    if (stopping === undefined && 'dataDir' in config.database) {
      stopping = signal;
      logger.info({ signal }, 'stopping once the embedded database is open (a second signal stops at once)');
      return;
    }
    logger.info({ signal }, 'stopped while starting');
    logger.flush?.();
    process.exit(EXIT.stopped);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const services = await withStartRetry(
    () => openServices(config, { log: (line, level = 'info') => logger[level](line) }),
    { retryMs: config.startRetryMs, log: (line) => logger.warn(line) },
  );
  if (stopping !== undefined) {
    await closeServices(services);
    logger.info({ signal: stopping }, 'stopped while starting');
    logger.flush?.();
    process.exit(EXIT.stopped);
  }
  try {
    await firstAdminKey(services, config, logger);
  } catch (error) {
    // Nothing was served: give the database back (and stop the embedded server) before saying why.
    await closeServices(services);
    throw error;
  }
  let accepting = true;
  // Another process's `pipelinejobs settings adopt` changes the secret under this one: seen
  // within a few seconds, after which it hands out no token minted from the old secret. A check
  // that could not run (the database away) changes nothing: drift clears only when the settings
  // agree again.
  let drift: Error | undefined;
  const watch = setInterval(() => {
    settingsDrift(services).then(
      (found) => {
        drift = found;
      },
      () => {},
    );
  }, SETTINGS_CHECK_MS);
  watch.unref();
  const metrics = createMetrics(databaseStats(services), () => streamStats(services).open);
  const app = createApp({
    services,
    logger,
    metrics,
    rateLimitPerMinute: config.rateLimitPerMinute,
    trustProxy: config.trustProxy,
    accepting: () => accepting,
    settingsDrift: () => drift,
    corsOrigins: config.corsOrigins,
    metricsPublic: config.metricsPublic,
    streams: config.streams,
  });
  // Before the first request, so that every stream gets this process's caps.
  const streams = startEventStreams(services, config.streams);
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, config.port, config.host, {
      limits: config.http,
      onRefused: (why) => logger.warn(`refusing connections: ${why}`),
    });
  } catch (error) {
    // Nothing was served: give the database back before saying why (the catch below exits 1).
    await streams.stop();
    await closeServices(services);
    throw error;
  }
  const dispatcher = startDelivering(services, metrics, logger);
  const sweeper = startSweeping(services, metrics, logger, { intervalMs: config.deadlineSweepMs });
  // The first signal drains: no new connection, /readyz 503, in-flight requests finish (at most
  // DRAIN_MS), then the pool (and the embedded server's lease) closes and the process exits 0.
  // A second signal does not wait for the requests.
  shutdown = (signal: string) => {
    if (!accepting) {
      logger.warn({ signal }, 'second signal: closing the remaining connections now');
      server.closeAllConnections();
      return;
    }
    accepting = false;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn(`in-flight requests did not finish in ${DRAIN_MS / 1000} s; closing them`);
      server.closeAllConnections();
    }, DRAIN_MS);
    force.unref();
    clearInterval(watch);
    // Open event streams end at once (their clients reconnect to another Manager and resume).
    void streams.stop();
    // A keep-alive connection whose request finishes would otherwise stay open until the client
    // closes it: close each one as soon as it is idle.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    idle.unref();
    server.close(async () => {
      clearTimeout(force);
      clearInterval(idle);
      let code: number = EXIT.stopped;
      try {
        // The attempts in flight are recorded before the pool closes (each is bounded by its timeout).
        await sweeper.stop();
        await dispatcher.stop();
        await closeServices(services);
        logger.info('stopped');
      } catch (error) {
        logger.error({ err: error }, 'stopped, but closing the database failed');
        code = EXIT.failed;
      }
      logger.flush?.();
      process.exit(code);
    });
    server.closeIdleConnections();
  };
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    {
      port,
      host: config.host,
      database: services.embedded ? 'embedded' : 'external',
      schema: config.dbSchema ?? 'public',
      migrate: config.migrate,
    },
    'PipelineJobs Manager listening',
  );
  banner(`PipelineJobs Manager listening on http://${config.host}:${port}`);
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  // A setting that is wrong or that the database refuses (another secret, a wrong password, a
  // schema behind) is a configuration error, as at start; anything else could not start.
  process.exit(error instanceof ConfigError ? EXIT.configuration : EXIT.failed);
});
