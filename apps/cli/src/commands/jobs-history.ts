import { type HistoryEvent, listHistory } from '@pipelinejobs/storage';
import type { Command } from 'commander';
import { wholeNumber } from '../option-parsers.js';
import { createProgress } from '../progress.js';
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
        const items: HistoryEvent[] = [];
        const progress = createProgress('Fetching history', out.interactive && options.all === true);
        let after = options.after;
        let next: number | null;
        try {
          do {
            const page = await listHistory(services.db, id, {
              after,
              limit: options.limit ?? (options.all ? 1000 : 100),
            });
            items.push(...page.items);
            next = page.next;
            after = next ?? undefined;
            progress.update(items.length);
          } while (options.all && next !== null);
        } finally {
          progress.done();
        }
        out.result({ items, next }, () => {
          out.line(items.length === 0 ? 'No events.' : historyTable(items, out.style));
          if (next !== null) out.note(`More events: add --after ${next} (or --all)`);
        });
      });
    });
}
