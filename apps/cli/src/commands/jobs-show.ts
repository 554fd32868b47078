import { getJob, jobUuidInput } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';
import { jobDetails } from '../views/job-view.js';

export function registerJobsShow(jobs: Command, invocation: Invocation): void {
  jobs
    .command('show')
    .description('show one job: state, allowed events, archive, data')
    .argument('<uuid>', 'the job UUID (107...)')
    .action(async (uuid: string, _options: unknown, command: Command) => {
      const id = jobUuidInput(uuid);
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const job = await getJob(services, operator, id);
        out.result(job, () => out.line(jobDetails(job, out.style)));
      });
    });
}
