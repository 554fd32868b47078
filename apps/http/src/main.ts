#!/usr/bin/env node
import {
  ConfigError,
  closeServices,
  ensureFirstAdminKey,
  openServices,
  readConfig,
  settingsDrift,
} from '@pipelinejobs/service';
import { createApp } from './app.js';
import { createLogger } from './logging.js';
import { createMetrics } from './metrics.js';
import { listen } from './server.js';

/** How often the Manager checks that its shared settings are still the database's. */
const SETTINGS_CHECK_MS = 5000;

/** The Manager's composition root: configuration, database, app, and graceful shutdown. */
async function main(): Promise<void> {
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig(process.env, process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const services = await openServices(config, { log: (line, level = 'info') => logger[level](line) });
  if ('dataDir' in config.database) {
    const key = await ensureFirstAdminKey(services);
    if (key) {
      process.stdout.write(
        `\nFirst start: created an admin API key. It is shown only this once; keep it:\n\n  ${key}\n\n` +
          `Use it as  Authorization: Bearer ${key.slice(0, 8)}...  (make more with \`pnpm pipelinejobs keys create\`)\n\n`,
      );
    }
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
  const metrics = createMetrics();
  const app = createApp({
    services,
    logger,
    metrics,
    rateLimitPerMinute: config.rateLimitPerMinute,
    trustProxy: config.trustProxy,
    accepting: () => accepting,
    settingsDrift: () => drift,
  });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, config.port, config.host, {
      limits: config.http,
      onRefused: (why) => logger.warn(`refusing connections: ${why}`),
    });
  } catch (error) {
    // Nothing was served: give the database back before saying why (the catch below exits 1).
    await closeServices(services);
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { port, host: config.host, database: services.embedded ? 'embedded' : 'external' },
    'PipelineJobs Manager listening',
  );
  process.stdout.write(`PipelineJobs Manager listening on http://${config.host}:${port}\n`);

  const shutdown = (signal: string) => {
    if (!accepting) return;
    accepting = false;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in 10 s; closing anyway');
      server.closeAllConnections();
    }, 10_000);
    force.unref();
    clearInterval(watch);
    server.close(async () => {
      await closeServices(services);
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  // A setting the database refuses (another secret, ...) is a configuration error, as at start.
  process.exit(error instanceof ConfigError ? 2 : 1);
});
