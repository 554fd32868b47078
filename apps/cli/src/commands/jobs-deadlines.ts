import { jobUuidInput, setJobDeadlines } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { readJsonFile } from '../json-input.js';
import { withServicesChanging } from '../session.js';
import { jobDetails } from '../views/job-view.js';

/**
 * `jobs deadlines <uuid> <file.json>`: replaces the job's time budgets whole (as `PUT
 * /jobs/:uuid/deadlines`), with an admin token: a budget already used up fails the job (or
 * notifies) at the next sweep.
 */
export function registerJobsDeadlines(jobs: Command, invocation: Invocation): void {
  jobs
    .command('deadlines')
    .description(
      "replace a job's time budgets per state (what the document names is what it has from now on)",
    )
    .argument('<uuid>', 'the job UUID (107...)')
    .argument(
      '<file.json>',
      'the budgets (schemas/deadlines.json), e.g. {"RUNNING": "24h", "INDEXING": {"budget": "2h", "action": "notify"}}; \'-\' reads stdin',
    )
    .option('--token <token>', 'an admin token, required as over HTTP: --token "$(pipelinejobs admin-token)"')
    .action(async (uuid: string, file: string, options: { token?: string }, command: Command) => {
      const id = jobUuidInput(uuid);
      const { value } = await readJsonFile(file, invocation.io);
      const change = { what: 'the deadlines', check: `pipelinejobs jobs show ${id}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const job = await setJobDeadlines(services, operator, id, value, options.token);
        out.result(job, () => {
          out.line(jobDetails(job, out.style));
          out.note(`\nRecorded in the job's audit: pipelinejobs jobs audit ${job.uuid}`);
        });
      });
    });
}
