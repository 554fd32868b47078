import type { Principal } from '@pipelinejobs/auth';
import type { PipelineUuid } from '@pipelinejobs/core';
import { validatePipeline } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { requireRole } from './authentication.js';
import { DATABASE } from './database-key.js';
import { budgetsInput, declaredBudgets, withBudgetIssues } from './deadlines.js';
import { invalidDocument } from './errors.js';
import type { PipelinesQuery } from './list-queries.js';
import type { Services } from './services.js';

/** Registers a pipeline, or returns the registered one with the same identity (`created: false`). */
export async function registerPipeline(s: Services, principal: Principal, body: unknown) {
  requireRole(principal, 'create', 'register pipelines');
  const checked = validatePipeline(body);
  if (!checked.ok) {
    invalidDocument(
      'The pipeline is not valid',
      withBudgetIssues(checked.issues, declaredBudgets(body), '/deadlines'),
    );
  }
  budgetsInput(checked.value.deadlines, '/deadlines', 'The pipeline is not valid');
  return storage.insertPipeline(s[DATABASE], checked.value);
}

export async function getPipeline(s: Services, principal: Principal, uuid: PipelineUuid) {
  requireRole(principal, 'read', 'read pipelines');
  return storage.selectPipeline(s[DATABASE], uuid);
}

export async function listPipelines(s: Services, principal: Principal, query: PipelinesQuery) {
  requireRole(principal, 'read', 'read pipelines');
  return storage.selectPipelines(s[DATABASE], query);
}
