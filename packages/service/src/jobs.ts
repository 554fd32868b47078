import { authorizeAdminAction, jobToken, type Principal, verifyJobToken } from '@pipelinejobs/auth';
import {
  archivePath,
  isPlainObject,
  type JobUuid,
  type JsonExactValue,
  jobUuid,
  STATE_NAMES,
  type State,
} from '@pipelinejobs/core';
import { validateCreateJob } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import { requireRole } from './authentication.js';
import { refuseCredentialInData } from './credential-in-data.js';
import { DATABASE } from './database-key.js';
import { budgetsInput, clockAheadMs, declaredBudgets, withBudgetIssues } from './deadlines.js';
import { invalidDocument, ServiceError } from './errors.js';
import { fsmSvg } from './fsm-svg.js';
import { jobInput } from './job-input.js';
import type { AuditQuery, HistoryQuery, JobsQuery } from './list-queries.js';
import type { Services } from './services.js';

/** The job token of a job: what its creator passes to the platforms that report on it. */
function jobTokenOf(s: Services, job: { uuid: string; token_version: number }): string {
  return jobToken(s.secret, job.uuid, job.token_version);
}

/** Whether the principal created the job (same kind and id), for who may see its token again. */
function isCreator(principal: Principal, job: storage.JobDocument): boolean {
  return job.created_by?.kind === principal.kind && job.created_by.id === principal.id;
}

const TOKEN_WITHHELD =
  "This job already exists and was created by another principal: its token is returned only to its creator or an admin. Ask the job's creator for it, or an admin (who gets it by creating the same job again, or a new one by rotating it: POST /jobs/<uuid>/token, `pipelinejobs jobs rotate-token`)";

/**
 * Creates a job, or returns the existing one with the same identity. Its token goes to whoever
 * created it (201), and again on a re-create (200) only to that same principal or an admin;
 * anyone else gets the job with `token_withheld` saying how to obtain the token. `exact`, the
 * exact view of the one parse of the request (core's parseJson) when the caller has it, makes the
 * identity exact for numbers JSON.parse cannot tell apart (1.0 vs 1); the stored document is the
 * plain view of that parse.
 */
export async function createJob(
  s: Services,
  principal: Principal,
  body: unknown,
  options: { exact?: JsonExactValue | undefined } = {},
) {
  requireRole(principal, 'create', 'create jobs');
  const checked = validateCreateJob(body);
  if (!checked.ok) {
    invalidDocument(
      'The job is not valid',
      withBudgetIssues(checked.issues, declaredBudgets(body), '/deadlines'),
    );
  }
  refuseCredentialInData(checked.value, '');
  const deadlines = budgetsInput(checked.value.deadlines, '/deadlines', 'The job is not valid');
  const { deadlines: _declared, ...request } = checked.value;
  const input = jobInput(request);
  // Only data can hold numbers; the uuids come from the validated (lower-cased) input.
  const exact = isPlainObject(options.exact) ? options.exact : undefined;
  const uuid = exact
    ? jobUuid({ pipeline_uuid: input.pipeline_uuid, child_of: input.child_of, data: exact.data })
    : undefined;
  // The original's client made the path; made here when a create omits it, every client agrees.
  input.archive_path ??= archivePath({
    pipeline_uuid: input.pipeline_uuid,
    child_of: input.child_of,
    data: exact?.data ?? input.data,
  });
  const { job, created, queued } = await storage.insertJob(s[DATABASE], input, {
    uuid,
    creator: actorOf(principal),
    ...(deadlines === undefined ? {} : { deadlines }),
  });
  if (created) s.outbox.written(queued);
  if (created || principal.role === 'admin' || isCreator(principal, job)) {
    return { job, created, token: jobTokenOf(s, job) };
  }
  return { job, created, token: undefined, tokenWithheld: TOKEN_WITHHELD };
}

export async function getJob(s: Services, principal: Principal, uuid: JobUuid) {
  requireRole(principal, 'read', 'read jobs');
  return storage.selectJob(s[DATABASE], uuid);
}

export async function listJobs(s: Services, principal: Principal, query: JobsQuery) {
  requireRole(principal, 'read', 'read jobs');
  return storage.selectJobs(
    s[DATABASE],
    query.overdue ? { ...query, overdue: { aheadMs: clockAheadMs(s) } } : query,
  );
}

/** How many jobs a listing with these filters has in all (its cursor and page size aside). */
export async function countJobs(s: Services, principal: Principal, query: JobsQuery) {
  requireRole(principal, 'read', 'read jobs');
  return storage.countJobs(
    s[DATABASE],
    query.overdue ? { ...query, overdue: { aheadMs: clockAheadMs(s) } } : query,
  );
}

/**
 * How many jobs a listing with these filters has in each state (its own state filter, cursor and
 * page size aside), and in all: the dashboard's counts above its list.
 */
export async function countJobsPerState(s: Services, principal: Principal, query: JobsQuery) {
  requireRole(principal, 'read', 'read jobs');
  const { state: _state, cursor: _cursor, ...filters } = query;
  const found = await storage.countJobsPerState(
    s[DATABASE],
    filters.overdue ? { ...filters, overdue: { aheadMs: clockAheadMs(s) } } : filters,
  );
  const states = Object.fromEntries(STATE_NAMES.map((state) => [state, found[state] ?? 0])) as Record<
    State,
    number
  >;
  return { total: Object.values(states).reduce((sum, n) => sum + n, 0), states };
}

/** A job's history, oldest first. */
export async function getHistory(s: Services, principal: Principal, uuid: JobUuid, query: HistoryQuery) {
  requireRole(principal, 'read', 'read jobs');
  return storage.selectHistory(s[DATABASE], uuid, query);
}

/**
 * The state machine drawn for a job: titled with its uuid and state, its current state
 * highlighted and the transitions it went through bold.
 */
export async function jobFsmSvg(s: Services, principal: Principal, uuid: JobUuid): Promise<string> {
  const job = await getJob(s, principal, uuid);
  const path = await storage.selectJobPath(s[DATABASE], uuid);
  return fsmSvg({ highlight: job.state, title: `job:${uuid} (${job.state})`, path });
}

/** Deletes and token rotations need a current admin token on top of the principal's rights. */
function requireAdminToken(
  s: Services,
  principal: Principal,
  action: 'delete' | 'rotate_token',
  uuid: JobUuid,
  token: unknown,
) {
  const decision = authorizeAdminAction({
    principal,
    action,
    jobUuid: uuid,
    token,
    admin: s.admin,
    now: s.clock(),
  });
  if (!decision.ok) throw new ServiceError('forbidden', decision.message, { uuid });
}

/** Hides a job, or removes it and its history with `force`; recorded as done by the principal. */
export async function deleteJob(
  s: Services,
  principal: Principal,
  command: { jobUuid: JobUuid; force: boolean; token?: string | undefined },
) {
  requireAdminToken(s, principal, 'delete', command.jobUuid, command.token);
  return storage.markJobDeleted(s[DATABASE], command.jobUuid, {
    force: command.force,
    actor: actorOf(principal),
  });
}

/**
 * Cancels a job its creator made and never started: removes it (a force delete, audited) with
 * the job token, no admin token needed; once an event was applied it is a `conflict` (send
 * `fail`). What the original's cancel() meant, without its admin token.
 */
export async function cancelJob(s: Services, principal: Principal, uuid: JobUuid, token: unknown) {
  requireRole(principal, 'create', 'cancel jobs');
  const job = await storage.selectJob(s[DATABASE], uuid);
  if (!isCreator(principal, job)) {
    throw new ServiceError('forbidden', 'Only the principal that created a job can cancel it', { uuid });
  }
  if (!verifyJobToken(s.secret, job.uuid, job.token_version, token)) {
    throw new ServiceError('forbidden', "Cancelling needs the job's token (returned when it was created)", {
      uuid,
    });
  }
  return storage.markJobDeleted(s[DATABASE], uuid, {
    force: true,
    unstarted: { tokenVersion: job.token_version },
    actor: actorOf(principal),
  });
}

/** A new token for the job (the old one stops working); recorded as done by the principal. */
export async function rotateJobToken(s: Services, principal: Principal, uuid: JobUuid, token: unknown) {
  requireAdminToken(s, principal, 'rotate_token', uuid, token);
  const job = await storage.bumpTokenVersion(s[DATABASE], uuid, actorOf(principal));
  return { job, token: jobTokenOf(s, job) };
}

/**
 * Who deleted the job, force-deleted it or rotated its token, and when (events carry their own
 * principal in the history), a page at a time. For admins; kept after a force delete, so the job
 * may be gone.
 */
export async function getJobAudit(s: Services, principal: Principal, uuid: JobUuid, query: AuditQuery) {
  requireRole(principal, 'admin', "read a job's audit record");
  return storage.selectJobAudit(s[DATABASE], uuid, query);
}
