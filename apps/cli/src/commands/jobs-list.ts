import { STATE_NAMES, type State } from '@pipelinejobs/core';
import { listJobs } from '@pipelinejobs/storage';
import { type Command, Option } from 'commander';
import { isoDate, wholeNumber } from '../option-parsers.js';
import { readPages } from '../progress.js';
import { withServices } from '../session.js';
import { pipelineUuidArgument } from '../typed-uuids.js';
import { jobTable } from '../views/job-view.js';

interface ListOptions {
  state?: State;
  pipeline?: string;
  since?: Date;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export function registerJobsList(jobs: Command): void {
  jobs
    .command('list')
    .description('list jobs, most recently updated first (deleted jobs are left out)')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(STATE_NAMES))
    .option('--pipeline <uuid>', 'only jobs of this pipeline (106...)')
    .option('--since <iso>', 'only jobs updated at or after this ISO 8601 date-time', isoDate)
    .option('--limit <n>', 'jobs per page, 1 to 500 (default 50; 500 with --all)', wholeNumber(1, 500))
    .option('--cursor <cursor>', 'continue after a previous page (its `next` value)')
    .option('--all', 'follow the cursor over every page (progress on stderr when it is a terminal)')
    .action(async (options: ListOptions, command: Command) => {
      const pipeline = options.pipeline === undefined ? undefined : pipelineUuidArgument(options.pipeline);
      await withServices(command, async ({ services, out }) => {
        const { items, next } = await readPages(
          (cursor) =>
            listJobs(services.db, {
              state: options.state,
              pipeline_uuid: pipeline,
              updated_since: options.since,
              limit: options.limit ?? (options.all ? 500 : 50),
              cursor,
            }),
          {
            start: options.cursor,
            all: options.all === true,
            label: 'Fetching jobs',
            interactive: out.interactive,
          },
        );
        out.result({ items, next }, () => {
          out.line(items.length === 0 ? 'No jobs.' : jobTable(items, out.style));
          if (next !== null) out.note(`More jobs: add --cursor ${next} (or --all)`);
        });
      });
    });
}
