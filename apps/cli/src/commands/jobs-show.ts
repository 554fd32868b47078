import { getJob, jobUuidInput } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { jobDetails } from '../views/job-view.js';
import { registerShow } from './show-command.js';

export function registerJobsShow(jobs: Command, invocation: Invocation): void {
  registerShow(jobs, invocation, {
    description: 'show one job: state, allowed events, archive, data',
    uuidHelp: 'the job UUID (107...)',
    parse: jobUuidInput,
    read: ({ services, operator }, id) => getJob(services, operator, id),
    details: jobDetails,
  });
}
