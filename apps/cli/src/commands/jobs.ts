import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { registerJobsAudit } from './jobs-audit.js';
import { registerJobsCreate } from './jobs-create.js';
import { registerJobsDeadlines } from './jobs-deadlines.js';
import { registerJobsDelete } from './jobs-delete.js';
import { registerJobsDryRun } from './jobs-dry-run.js';
import { registerJobsHistory } from './jobs-history.js';
import { registerJobsList } from './jobs-list.js';
import { registerJobsRotateToken } from './jobs-rotate-token.js';
import { registerJobsShow } from './jobs-show.js';

/** `jobs create|list|show|history|audit|delete|rotate-token|deadlines|dry-run`. */
export function registerJobs(program: Command, invocation: Invocation): void {
  const jobs = program
    .command('jobs')
    .description('create, inspect, delete jobs; rotate their tokens; set their deadlines');
  registerJobsCreate(jobs, invocation);
  registerJobsList(jobs, invocation);
  registerJobsShow(jobs, invocation);
  registerJobsHistory(jobs, invocation);
  registerJobsAudit(jobs, invocation);
  registerJobsDelete(jobs, invocation);
  registerJobsRotateToken(jobs, invocation);
  registerJobsDeadlines(jobs, invocation);
  registerJobsDryRun(jobs, invocation);
}
