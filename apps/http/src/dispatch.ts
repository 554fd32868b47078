import { type Dispatcher, type Services, startDispatcher } from '@pipelinejobs/service';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

/** This process's notification dispatcher, counted in the metrics; what fails is logged. */
export function startDelivering(services: Services, metrics: Metrics, logger: Logger): Dispatcher {
  return startDispatcher(services, {
    attempted: (outcome, durationMs) => {
      metrics.deliveries.inc({ outcome });
      metrics.deliveryLatency.observe(durationMs / 1000);
    },
    failed: (error) =>
      logger.warn({ err: error }, 'notification dispatch failed; it goes on at the next poll'),
  });
}
