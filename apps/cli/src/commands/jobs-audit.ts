import { getJobAudit, jobUuidInput } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';
import { renderTable } from '../table.js';

export function registerJobsAudit(jobs: Command, invocation: Invocation): void {
  jobs
    .command('audit')
    .description(
      'who deleted, force-deleted or rotated the token of a job, and when (kept after a force delete; events carry their sender in the history)',
    )
    .argument('<uuid>', 'the job UUID (107...)')
    .action(async (uuid: string, _options: unknown, command: Command) => {
      const id = jobUuidInput(uuid);
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const audit = await getJobAudit(services, operator, id);
        out.result(audit, () =>
          out.line(
            audit.items.length === 0
              ? 'No admin actions recorded.'
              : renderTable(
                  audit.items,
                  [
                    { header: 'date', cell: (a) => a.date },
                    { header: 'action', cell: (a) => a.action },
                    { header: 'by', cell: (a) => `${a.principal.kind} ${a.principal.id}` },
                    { header: 'token version', cell: (a) => String(a.token_version), align: 'right' },
                  ],
                  out.style,
                  out.width,
                ),
          ),
        );
      });
    });
}
