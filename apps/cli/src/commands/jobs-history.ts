import { listHistory } from '@pipelinejobs/storage';
import type { Command } from 'commander';
import { wholeNumber } from '../option-parsers.js';
import { readPages } from '../progress.js';
import { withServices } from '../session.js';
import { jobUuidArgument } from '../typed-uuids.js';
import { historyTable } from '../views/history-view.js';

interface HistoryOptions {
  after?: number;
  limit?: number;
  all?: boolean;
}

export function registerJobsHistory(jobs: Command): void {
  jobs
    .command('history')
    .description("show a job's history, oldest first")
    .argument('<uuid>', 'the job UUID (107...)')
    .option('--after <seq>', 'only events after this sequence number', wholeNumber(0, 2 ** 31 - 1))
    .option('--limit <n>', 'events per page, 1 to 1000 (default 100; 1000 with --all)', wholeNumber(1, 1000))
    .option('--all', 'read every page (progress on stderr when it is a terminal)')
    .action(async (uuid: string, options: HistoryOptions, command: Command) => {
      const id = jobUuidArgument(uuid);
      await withServices(command, async ({ services, out }) => {
        const { items, next } = await readPages(
          (after) =>
            listHistory(services.db, id, { after, limit: options.limit ?? (options.all ? 1000 : 100) }),
          {
            start: options.after,
            all: options.all === true,
            label: 'Fetching history',
            interactive: out.interactive,
          },
        );
        out.result({ items, next }, () => {
          out.line(items.length === 0 ? 'No events.' : historyTable(items, out.style));
          if (next !== null) out.note(`More events: add --after ${next} (or --all)`);
        });
      });
    });
}
