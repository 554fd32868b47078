import type { Budgets, DeadlineAction, EventName, JobUuid, PipelineUuid, State } from '@pipelinejobs/core';
import type {
  EventSource,
  HistoryEvent,
  JobDocument,
  JsonObject,
  MessageResponse,
  PipelineRecord,
} from '@pipelinejobs/schemas';

export type { EventSource, HistoryEvent, JobDocument, PipelineRecord };

/** What applying an event returns, and what a replay of its idempotency key returns again. */
export type EventOutcome = MessageResponse;

export const iso = (value: Date | string): string => new Date(value).toISOString();

/**
 * Who did something, as recorded with it: the principal's kind (api_key, jwt, nonce, cli,
 * system) and id (API key id, JWT subject, nonce id, the operator's user name). Never a credential.
 */
export interface Actor {
  readonly kind: string;
  readonly id: string;
}

/** The recorded actor of a row, or null for rows written before actors were kept. */
export function actorOf(kind: string | null, id: string | null): Actor | null {
  return kind === null || id === null ? null : { kind, id };
}

/** A jobs row as read; the uuids were checked on the way in. */
export interface JobRow {
  uuid: JobUuid;
  pipeline_uuid: PipelineUuid;
  state: string;
  last_event: string;
  token_version: number;
  archive_path: string | null;
  archive_system: string | null;
  archive_patterns: unknown[];
  product_patterns: unknown[];
  session: string | null;
  agent: string | null;
  task: string | null;
  child_of: string[];
  generated_by: string[];
  acted_on: string[];
  acted_using: string[];
  data: Record<string, unknown>;
  creator_kind: string | null;
  creator_id: string | null;
  visible: boolean;
  version: number;
  // Strings: drizzle turns off the driver's date parsing on the shared client.
  created_at: Date | string;
  updated_at: Date | string;
  state_since: Date | string;
  deadlines: Budgets | null;
  deadline_at: Date | string | null;
  deadline_action: DeadlineAction | null;
  deadline_notified: boolean;
}

/** The budgets as the API shows them: the declared duration and the action, by state. */
function shownBudgets(budgets: Budgets | null): NonNullable<JobDocument['deadlines']> {
  const shown: NonNullable<JobDocument['deadlines']> = {};
  for (const [state, budget] of Object.entries(budgets ?? {})) {
    shown[state as State] = { budget: budget.budget, action: budget.action };
  }
  return shown;
}

function currentDeadline(row: JobRow): JobDocument['deadline'] {
  const budget = row.deadlines?.[row.state as State];
  if (row.deadline_at === null || row.deadline_action === null || !budget) return null;
  return {
    state: row.state as State,
    budget: budget.budget,
    action: row.deadline_action,
    at: iso(row.deadline_at),
    notified: row.deadline_notified,
  };
}

export function jobDocument(row: JobRow): JobDocument {
  return {
    uuid: row.uuid,
    pipeline_uuid: row.pipeline_uuid,
    state: row.state as State,
    last_event: row.last_event as EventName,
    token_version: row.token_version,
    archive_path: row.archive_path,
    archive_system: row.archive_system,
    archive_patterns: row.archive_patterns as JobDocument['archive_patterns'],
    product_patterns: row.product_patterns as JobDocument['product_patterns'],
    session: row.session,
    agent: row.agent,
    task: row.task,
    child_of: row.child_of,
    generated_by: row.generated_by,
    acted_on: row.acted_on,
    acted_using: row.acted_using,
    data: row.data as JsonObject,
    created_by: actorOf(row.creator_kind, row.creator_id),
    visible: row.visible,
    version: row.version,
    created: iso(row.created_at),
    updated: iso(row.updated_at),
    state_since: iso(row.state_since),
    deadlines: shownBudgets(row.deadlines),
    deadline: currentDeadline(row),
  };
}

export interface HistoryRow {
  uuid: string;
  seq: number;
  name: string;
  from_state: string;
  to_state: string;
  data: unknown;
  source: string;
  principal_kind: string | null;
  principal_id: string | null;
  created_at: Date | string;
}

export function historyEvent(row: HistoryRow): HistoryEvent {
  return {
    uuid: row.uuid,
    seq: row.seq,
    name: row.name as EventName,
    from: row.from_state as State,
    to: row.to_state as State,
    data: row.data as JsonObject | null,
    source: row.source as EventSource,
    principal: actorOf(row.principal_kind, row.principal_id),
    date: iso(row.created_at),
  };
}

/** Opaque keyset cursors: base64url of JSON, so callers cannot depend on their shape. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
