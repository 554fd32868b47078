import { createJob } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { readJsonFile } from '../json-input.js';
import { withServicesChanging } from '../session.js';
import { jobDetails } from '../views/job-view.js';

export function registerJobsCreate(jobs: Command, invocation: Invocation): void {
  jobs
    .command('create')
    .description(
      'create a job from a JSON document and print it with its job token (creating the same job again returns it)',
    )
    .argument('<file.json>', "the job document (schemas/create-job.json); '-' reads stdin")
    .action(async (file: string, _options: unknown, command: Command) => {
      const { value, exact } = await readJsonFile(file, invocation.io);
      const change = { what: 'the job', check: 'pipelinejobs jobs list' };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        // The exact document decides the job's identity, as over HTTP (1.0 and 1 are different jobs).
        const { job, created, token } = await createJob(services, operator, value, { exact });
        out.result({ ...job, token, created }, () => {
          out.line(created ? 'Created job:' : 'The job already exists:');
          out.line(jobDetails({ ...job, token }, out.style));
          out.note(
            `\nReport on it with: pipelinejobs send ${job.uuid} run --token ${token}\n` +
              'Give the token only to the platforms that report on this job.',
          );
        });
      });
    });
}
