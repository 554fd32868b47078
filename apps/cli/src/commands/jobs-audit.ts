import { getJobAudit, jobUuidInput, PAGE_LIMITS, parseAuditQuery } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { printPages } from '../print-pages.js';
import { withServices } from '../session.js';
import { renderTable } from '../table.js';
import { asOptions } from '../usage-error.js';

interface AuditOptions {
  after?: string;
  limit?: string;
  all?: boolean;
}

type AuditEntry = Awaited<ReturnType<typeof getJobAudit>>['items'][number];

const { audit } = PAGE_LIMITS;

export function registerJobsAudit(jobs: Command, invocation: Invocation): void {
  jobs
    .command('audit')
    .description(
      'who deleted, force-deleted or rotated the token of a job, and when (kept after a force delete; events carry their sender in the history)',
    )
    .argument('<uuid>', 'the job UUID (107...)')
    .option('--after <id>', 'only records after this id')
    .option(
      '--limit <n>',
      `records per page, 1 to ${audit.max} (default ${audit.default}; ${audit.max} with --all)`,
    )
    .option('--all', 'read every page')
    .action(async (uuid: string, options: AuditOptions, command: Command) => {
      const id = jobUuidInput(uuid);
      // The same parser as the HTTP query string, so the bounds are the same.
      const query = asOptions(() =>
        parseAuditQuery({
          after: options.after,
          limit: options.limit ?? (options.all ? String(audit.max) : undefined),
        }),
      );
      await withServices(invocation, command, async ({ services, out, operator }) => {
        await printPages<AuditEntry, number>(
          out,
          (after) => getJobAudit(services, operator, id, after === undefined ? query : { ...query, after }),
          {
            all: options.all === true,
            label: 'Fetching audit records',
            empty: 'No admin actions recorded.',
            table: (items, style, width) =>
              renderTable(
                items,
                [
                  { header: 'id', cell: (a) => String(a.id), align: 'right' },
                  { header: 'date', cell: (a) => a.date },
                  { header: 'action', cell: (a) => a.action },
                  { header: 'by', cell: (a) => `${a.principal.kind} ${a.principal.id}` },
                  { header: 'token version', cell: (a) => String(a.token_version), align: 'right' },
                ],
                style,
                width,
              ),
            more: (next) => `More records: add --after ${next} (or --all)`,
          },
        );
      });
    });
}
