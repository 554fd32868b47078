import {
  type DeadlineSweeper,
  type Dispatcher,
  type Services,
  startDeadlineSweeper,
  startDispatcher,
} from '@pipelinejobs/service';
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

/** This process's deadline sweeper; the jobs it fails are counted as transitions, what fails is logged. */
export function startSweeping(
  services: Services,
  metrics: Metrics,
  logger: Logger,
  options: { intervalMs: number; batch?: number },
): DeadlineSweeper {
  return startDeadlineSweeper(services, options, {
    swept: (result) => {
      for (const job of result.failed) {
        if (job.applied) {
          const { from, to } = job.applied.outcome.event;
          metrics.transitions.inc({ from, to });
        }
        if (job.error !== undefined) {
          logger.warn(
            { err: job.error, job: job.uuid },
            'failing a job past its deadline failed; tried again at the next sweep',
          );
        }
      }
      logger.info(
        {
          failed: result.failed.filter((job) => job.applied).map((job) => job.uuid),
          notified: result.notified.map((job) => job.uuid),
        },
        'jobs past their deadline',
      );
    },
    failed: (error) => logger.warn({ err: error }, 'deadline sweep failed; it goes on at the next interval'),
  });
}
