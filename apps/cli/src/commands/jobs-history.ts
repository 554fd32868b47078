import type { HistoryEvent } from '@pipelinejobs/schemas';
import { getHistory, getJob, jobUuidInput, PAGE_LIMITS, parseHistoryQuery } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { printPages } from '../print-pages.js';
import { withServices } from '../session.js';
import { asOptions } from '../usage-error.js';
import { historyTable } from '../views/history-view.js';

interface HistoryOptions {
  after?: string;
  limit?: string;
  all?: boolean;
}

const { history } = PAGE_LIMITS;

export function registerJobsHistory(jobs: Command, invocation: Invocation): void {
  jobs
    .command('history')
    .description("show a job's history, oldest first")
    .argument('<uuid>', 'the job UUID (107...)')
    .option('--after <seq>', 'only events after this sequence number')
    .option(
      '--limit <n>',
      `events per page, 1 to ${history.max} (default ${history.default}; ${history.max} with --all)`,
    )
    .option('--all', 'read every page (progress on stderr when it is a terminal)')
    .action(async (uuid: string, options: HistoryOptions, command: Command) => {
      const id = jobUuidInput(uuid);
      // The same parser as the HTTP query string, so the bounds are the same.
      const query = asOptions(() =>
        parseHistoryQuery({
          after: options.after,
          limit: options.limit ?? (options.all ? String(history.max) : undefined),
        }),
      );
      await withServices(invocation, command, async ({ services, out, operator }) => {
        await printPages<HistoryEvent, number>(
          out,
          (after) => getHistory(services, operator, id, after === undefined ? query : { ...query, after }),
          {
            all: options.all === true,
            label: 'Fetching history',
            // A job's version is the seq of its last event.
            total: async () => Math.max(0, (await getJob(services, operator, id)).version - query.after),
            empty: 'No events.',
            table: historyTable,
            more: (next) => `More events: add --after ${next} (or --all)`,
          },
        );
      });
    });
}
