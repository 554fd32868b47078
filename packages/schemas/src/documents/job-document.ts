import type { EventName, JobUuid, PipelineUuid, State } from '@pipelinejobs/core';
import type { JobDeadline } from './deadlines-request.js';
import type { ActorDocument } from './history-event.js';
import type { ArchivePattern, ProductPattern } from './index-requests.js';
import type { JsonObject } from './json-object.js';

/** schemas/job.json: a job as the API returns it. Timestamps are UTC ISO strings with milliseconds. */
export interface JobDocument {
  uuid: JobUuid;
  pipeline_uuid: PipelineUuid;
  state: State;
  last_event: EventName;
  /** Version of the job token; rotation increments it. */
  token_version: number;
  /** Only in the response to the job's creator (or an admin). */
  token?: string;
  /** Instead of `token`, to another principal re-creating the job: how to obtain it. */
  token_withheld?: string;
  archive_path: string | null;
  archive_system: string | null;
  archive_patterns: ArchivePattern[];
  product_patterns: ProductPattern[];
  session: string | null;
  agent: string | null;
  task: string | null;
  child_of: string[];
  generated_by?: string[];
  acted_on?: string[];
  acted_using?: string[];
  data: JsonObject;
  /** Who created the job; null for jobs created before creators were kept. */
  created_by: ActorDocument | null;
  visible: boolean;
  /** From 1, up by one on every change. */
  version: number;
  created: string;
  updated: string;
  state_since: string;
  /** Time budgets by state, in the object form. */
  deadlines?: Partial<Record<State, { budget: string; action: 'fail' | 'notify' }>>;
  /** The deadline of the current state; null when it has no budget. */
  deadline?: JobDeadline | null;
}
