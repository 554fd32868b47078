import type { State } from '@pipelinejobs/core';

/** One state's budget as declared: `"24h"` (fail), the object form, or null (no budget). */
export type DeclaredBudget = string | { budget: string; action?: 'fail' | 'notify' } | null;

/** schemas/deadlines.json: time budgets by state (pipeline, job create, PUT /jobs/:uuid/deadlines). */
export type DeadlinesRequest = Partial<Record<State, DeclaredBudget>>;

/** A job's deadline in its current state (job.json `deadline`). */
export interface JobDeadline {
  state: State;
  budget: string;
  action: 'fail' | 'notify';
  at: string;
  notified: boolean;
}
