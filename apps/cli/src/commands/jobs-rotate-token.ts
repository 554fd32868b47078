import { jobUuidInput, rotateJobToken } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServicesChanging } from '../session.js';

export function registerJobsRotateToken(jobs: Command, invocation: Invocation): void {
  jobs
    .command('rotate-token')
    .description("replace a job's token: the old one stops working at once; prints the new one")
    .argument('<uuid>', 'the job UUID (107...)')
    .option('--token <token>', 'an admin token, required as over HTTP: --token "$(pipelinejobs admin-token)"')
    .action(async (uuid: string, options: { token?: string }, command: Command) => {
      const id = jobUuidInput(uuid);
      const change = { what: 'the token rotation', check: `pipelinejobs jobs audit ${id}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const { job, token } = await rotateJobToken(services, operator, id, options.token);
        out.result({ ...job, token }, () => {
          // Only the token on stdout, so `NEW=$(pipelinejobs jobs rotate-token ...)` works.
          out.line(token);
          out.note(
            `Job ${job.uuid}: token version ${job.token_version}; the previous token no longer works.`,
          );
        });
      });
    });
}
