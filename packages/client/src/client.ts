import type { EventName, JobUuid, PipelineUuid, State } from '@pipelinejobs/core';
import type {
  ActorDocument,
  CreateJobRequest,
  DeadlinesRequest,
  HistoryEvent,
  JobDocument,
  JsonObject,
  MessageResponse,
  PipelineDocument,
  PipelineRecord,
  ProblemDocument,
  SchemaName,
} from '@pipelinejobs/schemas';
import { Paged } from './paging.js';
import { type ClientOptions, isRedirect, type Query, redirectRefused, Transport } from './transport.js';
import { type WatchedEvent, type WatchOptions, watchEvents } from './watch.js';

/** A job as returned to its creator or an admin: with its job token. */
export type JobWithToken = JobDocument & { token: string };

export interface CreatedJob {
  /** `token` is set for the job's creator and admins; others get `token_withheld`. */
  readonly job: JobDocument;
  /** False when a job with the same identity (pipeline, child_of, data) already existed. */
  readonly created: boolean;
}

export interface JobsQuery {
  readonly state?: State | undefined;
  readonly pipeline_uuid?: PipelineUuid | string | undefined;
  /** Only jobs updated at or after this time. */
  readonly updated_since?: Date | string | undefined;
  /** true: only jobs past the deadline of their state (a per-state time budget). */
  readonly overdue?: boolean | undefined;
  /** Jobs per page (1 to 500). */
  readonly limit?: number | undefined;
}

export interface HistoryQuery {
  /** Only events after this seq. */
  readonly after?: number | undefined;
  /** Events per page (1 to 1000). */
  readonly limit?: number | undefined;
}

export interface AuditQuery {
  /** Only entries after this cursor (a page's `next`). */
  readonly after?: number | undefined;
  /** Entries per page (1 to 1000, default 100). */
  readonly limit?: number | undefined;
}

export interface EventRequest {
  readonly uuid: JobUuid | string;
  /** The event name, any letter case (`run`, `update`, ...). */
  readonly name: EventName | string;
  /** The job token, or an admin token for the admin events (`reset`, `ready`). */
  readonly token?: string | undefined;
  readonly data?: JsonObject | undefined;
  /**
   * The Idempotency-Key: default a new UUIDv4 per call, kept across its retries, so that a retried
   * event is applied once. Give your own to make a repeat of the same logical event (after a
   * restart, say) a replay too; `false` sends none and turns off retries after network errors.
   */
  readonly idempotencyKey?: string | false | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface EventResult extends MessageResponse {
  /** True when the Manager had already applied this Idempotency-Key and answered it again. */
  readonly replayed: boolean;
}

export interface DryRunResult {
  readonly accepted: boolean;
  readonly event: string;
  readonly from: State | null;
  readonly to?: State;
  /** When refused: the status and problem sending it would have got. */
  readonly status?: number;
  readonly reason?: string;
  readonly allowed?: EventName[];
  readonly problem?: ProblemDocument;
}

export interface AuditEntry {
  readonly job_uuid: string;
  readonly action: 'delete' | 'force_delete' | 'rotate_token' | 'set_deadlines';
  readonly principal: ActorDocument;
  readonly token_version: number;
  readonly date: string;
}

export interface ReadinessReport {
  readonly status: string;
  readonly accepting: boolean;
  readonly database: string;
  readonly writable: boolean;
  readonly condition?: string;
  readonly detail?: string;
}

const instant = (value: Date | string | undefined) => (value instanceof Date ? value.toISOString() : value);

/**
 * A typed client of every route of the PipelineJobs Manager. Reads, creates and registrations
 * (which find the existing record by identity) and events (sent with an Idempotency-Key) are
 * retried on network errors, 429 and 503, honouring Retry-After; a refusal is a ProblemError.
 */
export class PipelineJobsClient {
  readonly transport: Transport;

  constructor(options: ClientOptions) {
    this.transport = new Transport(options);
  }

  /**
   * A job's (`{ job }`) or every job's events (filtered by pipeline, state, event) as they
   * happen: `for await (const e of client.watch({ job })) ...`. Resumes across disconnects with
   * Last-Event-ID, each event once and in order; `break` closes the connection.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchedEvent> {
    return watchEvents(this.transport, options);
  }

  private async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.transport.call<T>({ method: 'GET', path, query, idempotent: true })).body;
  }

  readonly jobs = {
    /** Creates the job, or finds the existing one with the same identity. */
    create: async (
      request: CreateJobRequest,
      options: { signal?: AbortSignal } = {},
    ): Promise<CreatedJob> => {
      const answer = await this.transport.call<JobDocument>({
        method: 'POST',
        path: '/jobs',
        body: request,
        idempotent: true,
        signal: options.signal,
      });
      return { job: answer.body, created: answer.status === 201 };
    },
    get: (uuid: JobUuid | string): Promise<JobDocument> => this.get(`/jobs/${encodeURIComponent(uuid)}`),
    /** Every job matching, most recently updated first, read a page at a time. */
    list: (query: JobsQuery = {}): Paged<JobDocument, string> =>
      new Paged((cursor) =>
        this.get('/jobs', { ...query, updated_since: instant(query.updated_since), cursor }),
      ),
    /** The job's history, oldest first, read a page at a time. */
    history: (uuid: JobUuid | string, query: HistoryQuery = {}): Paged<HistoryEvent, number> =>
      new Paged((after) =>
        this.get(`/jobs/${encodeURIComponent(uuid)}/history`, {
          limit: query.limit,
          after: after ?? query.after,
        }),
      ),
    /** Who deleted, force-deleted or rotated the token of the job (admins), oldest first, paged. */
    audit: (uuid: JobUuid | string, query: AuditQuery = {}): Paged<AuditEntry, number> =>
      new Paged((after) =>
        this.get(`/jobs/${encodeURIComponent(uuid)}/audit`, {
          limit: query.limit,
          after: after ?? query.after,
        }),
      ),
    /** Would the event be accepted now, and to which state? Writes nothing. */
    dryRun: async (uuid: JobUuid | string, name: string, token?: string): Promise<DryRunResult> =>
      (
        await this.transport.call<DryRunResult>({
          method: 'POST',
          path: `/jobs/${encodeURIComponent(uuid)}/events/dry-run`,
          body: { name, ...(token === undefined ? {} : { token }) },
          idempotent: true,
        })
      ).body,
    /** Deletes the job (an admin token); `force` removes it and its history. */
    delete: async (
      uuid: JobUuid | string,
      options: { adminToken: string; force?: boolean },
    ): Promise<JsonObject> =>
      (
        await this.transport.call<JsonObject>({
          method: 'DELETE',
          path: `/jobs/${encodeURIComponent(uuid)}`,
          query: { token: options.adminToken, force: options.force },
          idempotent: false,
        })
      ).body,
    /**
     * Removes a job this principal created and never started, with its job token (no admin
     * token). Not retried: a second try after a lost answer would say the job is gone.
     */
    cancel: async (uuid: JobUuid | string, options: { token: string }): Promise<JsonObject> =>
      (
        await this.transport.call<JsonObject>({
          method: 'POST',
          path: `/jobs/${encodeURIComponent(uuid)}/cancel`,
          body: { token: options.token },
          idempotent: false,
        })
      ).body,
    /** A new job token (an admin token); the old one stops working. Not retried. */
    rotateToken: async (uuid: JobUuid | string, options: { adminToken: string }): Promise<JobWithToken> =>
      (
        await this.transport.call<JobWithToken>({
          method: 'POST',
          path: `/jobs/${encodeURIComponent(uuid)}/token`,
          query: { token: options.adminToken },
          idempotent: false,
        })
      ).body,
    /**
     * Replaces the job's time budgets whole (an admin token): what `deadlines` names is what the
     * job has from now on, a state left out or null has none. The deadline of the state it is in
     * is recomputed from when it entered it, so a budget already used up fails it (or notifies) at
     * the next sweep. Retried as any PUT: the same budgets again leave them and the deadline as
     * they were (no second overdue notification), but add an audit entry and move `updated`.
     */
    setDeadlines: async (
      uuid: JobUuid | string,
      deadlines: DeadlinesRequest,
      options: { adminToken: string },
    ): Promise<JobDocument> =>
      (
        await this.transport.call<JobDocument>({
          method: 'PUT',
          path: `/jobs/${encodeURIComponent(uuid)}/deadlines`,
          query: { token: options.adminToken },
          body: deadlines,
          idempotent: true,
        })
      ).body,
    /** The state machine picture with the job's state and path highlighted (SVG). */
    fsmSvg: async (uuid: JobUuid | string): Promise<string> =>
      (
        await this.transport.call<string>({
          method: 'GET',
          path: `/jobs/${encodeURIComponent(uuid)}/fsm.svg`,
          idempotent: true,
          accept: 'text',
        })
      ).body,
  };

  readonly events = {
    /** Sends a JSON event to POST /messages; see EventRequest for the Idempotency-Key. */
    send: async (event: EventRequest): Promise<EventResult> => {
      const key = event.idempotencyKey === undefined ? crypto.randomUUID() : event.idempotencyKey;
      const answer = await this.transport.call<MessageResponse>({
        method: 'POST',
        path: '/messages',
        body: {
          uuid: event.uuid,
          name: event.name,
          ...(event.token === undefined ? {} : { token: event.token }),
          ...(event.data === undefined ? {} : { data: event.data }),
        },
        headers: key === false ? {} : { 'idempotency-key': key },
        idempotent: key !== false,
        signal: event.signal,
      });
      return { ...answer.body, replayed: answer.headers.get('idempotent-replayed') === 'true' };
    },
  };

  readonly pipelines = {
    /** Registers the pipeline, or finds the registered one with the same identity. */
    register: async (pipeline: PipelineDocument): Promise<{ pipeline: PipelineRecord; created: boolean }> => {
      const answer = await this.transport.call<PipelineRecord>({
        method: 'POST',
        path: '/pipelines',
        body: pipeline,
        idempotent: true,
      });
      return { pipeline: answer.body, created: answer.status === 201 };
    },
    get: (uuid: PipelineUuid | string): Promise<PipelineRecord> =>
      this.get(`/pipelines/${encodeURIComponent(uuid)}`),
    list: (query: { limit?: number } = {}): Paged<PipelineRecord, string> =>
      new Paged((cursor) => this.get('/pipelines', { limit: query.limit, cursor })),
  };

  /** The state machine table (GET /fsm). */
  fsm(): Promise<JsonObject> {
    return this.get('/fsm');
  }

  /** The state machine picture (SVG). */
  async fsmSvg(): Promise<string> {
    return (
      await this.transport.call<string>({ method: 'GET', path: '/fsm.svg', idempotent: true, accept: 'text' })
    ).body;
  }

  /** A published JSON Schema. */
  schema(name: SchemaName): Promise<JsonObject> {
    return this.get(`/schemas/${encodeURIComponent(name)}`);
  }

  /** The OpenAPI document of this Manager. */
  openApi(): Promise<JsonObject> {
    return this.get('/openapi.json');
  }

  /** Liveness: resolves when the process answers. */
  async health(): Promise<void> {
    await this.transport.call({ method: 'GET', path: '/healthz', idempotent: true, accept: 'none' });
  }

  /** Readiness: the report, whether ready (200) or not (503, not retried here). */
  async readiness(): Promise<ReadinessReport & { ready: boolean }> {
    const response = await this.transport.fetch(this.transport.url('/readyz'), { redirect: 'manual' });
    if (isRedirect(response)) throw await redirectRefused(response);
    const report = (await response.json()) as ReadinessReport;
    return { ...report, ready: response.ok };
  }

  /** Prometheus metrics, as text. */
  async metrics(): Promise<string> {
    return (
      await this.transport.call<string>({ method: 'GET', path: '/metrics', idempotent: true, accept: 'text' })
    ).body;
  }
}

export function createClient(options: ClientOptions): PipelineJobsClient {
  return new PipelineJobsClient(options);
}
