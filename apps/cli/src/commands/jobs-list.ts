import { STATE_NAMES } from '@pipelinejobs/core';
import type { JobDocument } from '@pipelinejobs/schemas';
import { countJobs, listJobs, PAGE_LIMITS, parseJobsQuery } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { printPages } from '../print-pages.js';
import { withServices } from '../session.js';
import { asOptions } from '../usage-error.js';
import { jobTable } from '../views/job-view.js';

interface ListOptions {
  state?: string;
  pipeline?: string;
  since?: string;
  overdue?: boolean;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

const { jobs: bounds } = PAGE_LIMITS;

export function registerJobsList(jobs: Command, invocation: Invocation): void {
  jobs
    .command('list')
    .description('list jobs, most recently updated first (deleted jobs are left out)')
    .option('--state <state>', `only jobs in this state, any letter case (${STATE_NAMES.join(', ')})`)
    .option('--pipeline <uuid>', 'only jobs of this pipeline (106...)')
    .option('--since <iso>', 'only jobs updated at or after this ISO 8601 date-time')
    .option('--overdue', 'only jobs past the deadline of their state (its time budget)')
    .option(
      '--limit <n>',
      `jobs per page, 1 to ${bounds.max} (default ${bounds.default}; ${bounds.max} with --all)`,
    )
    .option('--cursor <cursor>', 'continue after a previous page (its `next` value)')
    .option('--all', 'follow the cursor over every page (progress on stderr when it is a terminal)')
    .action(async (options: ListOptions, command: Command) => {
      // The same parser as the HTTP query string: the same names, bounds and messages. Checked
      // before the database is opened; each further page is the same query from its cursor.
      const raw = {
        state: options.state,
        pipeline_uuid: options.pipeline,
        updated_since: options.since,
        overdue: options.overdue ? 'true' : undefined,
        limit: options.limit ?? (options.all ? String(bounds.max) : undefined),
        cursor: options.cursor,
      };
      const first = asOptions(() => parseJobsQuery(raw));
      await withServices(invocation, command, async ({ services, out, operator }) => {
        await printPages<JobDocument, string>(
          out,
          (cursor) =>
            listJobs(services, operator, cursor === undefined ? first : parseJobsQuery({ ...raw, cursor })),
          {
            all: options.all === true,
            label: 'Fetching jobs',
            // From a cursor the total of what is left is not known: no total then.
            ...(options.cursor === undefined ? { total: () => countJobs(services, operator, first) } : {}),
            empty: 'No jobs.',
            table: jobTable,
            more: (next) => `More jobs: add --cursor ${next} (or --all)`,
          },
        );
      });
    });
}
