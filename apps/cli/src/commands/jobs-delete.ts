import { deleteJob, jobUuidInput } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServicesChanging } from '../session.js';

export function registerJobsDelete(jobs: Command, invocation: Invocation): void {
  jobs
    .command('delete')
    .description(
      'delete a job: hidden (refuses events, left out of lists) or, with --force, removed with its history',
    )
    .argument('<uuid>', 'the job UUID (107...)')
    .option('--force', 'remove the job and its history for good instead of hiding it')
    .option('--token <token>', 'an admin token, required as over HTTP: --token "$(pipelinejobs admin-token)"')
    .action(async (uuid: string, options: { force?: boolean; token?: string }, command: Command) => {
      const id = jobUuidInput(uuid);
      const change = { what: 'the deletion', check: `pipelinejobs jobs show ${id}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const result = await deleteJob(services, operator, {
          jobUuid: id,
          force: options.force === true,
          token: options.token,
        });
        out.result(result, () => {
          out.line(
            result.deleted === 'hard'
              ? `Removed job ${result.uuid} and its history.`
              : `Deleted job ${result.uuid} (hidden; --force removes it for good).`,
          );
        });
      });
    });
}
