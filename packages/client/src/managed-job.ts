import {
  archivePath,
  type EventName,
  isTypedUuid,
  type JobUuid,
  MIN_INSTANCE_SESSION_LENGTH,
  type PipelineUuid,
  parseJobUuid,
  parsePipelineUuid,
  type State,
  type TypedUuidType,
} from '@pipelinejobs/core';
import type { ArchivePattern, JobDocument, JsonObject, ProductPattern } from '@pipelinejobs/schemas';
import {
  type AgaveNotification,
  agaveNotifications,
  type CallbackTarget,
  callbackUrl,
  type TapisSubscription,
  tapisSubscriptions,
} from './callbacks.js';
import type { EventResult, PipelineJobsClient } from './client.js';
import { sessionName } from './session-name.js';

/** The original's default storage system of archive paths. */
export const DEFAULT_ARCHIVE_SYSTEM = 'data-sd2e-community';

/** A misuse of a managed job (no setup yet, a token withheld, ids that do not resolve). */
export class ManagedPipelineJobError extends Error {
  override readonly name = 'ManagedPipelineJobError';
}

type UuidOrList = string | readonly string[];

/**
 * The metadata a job is a child of, as typed UUIDs. As in the original, one kind is used, the
 * first given in this order: experiment design (114), experiment (102), sample (103), measurement
 * (104); the result is de-duplicated and sorted. Or `childOf` directly.
 */
export interface ParentIds {
  readonly childOf?: readonly string[] | undefined;
  readonly experimentDesignId?: UuidOrList | undefined;
  readonly experimentId?: UuidOrList | undefined;
  readonly sampleId?: UuidOrList | undefined;
  readonly measurementId?: UuidOrList | undefined;
}

const PARENT_KINDS: readonly [keyof ParentIds, TypedUuidType][] = [
  ['experimentDesignId', 'experiment_design'],
  ['experimentId', 'experiment'],
  ['sampleId', 'sample'],
  ['measurementId', 'measurement'],
];

/** child_of from the parent ids: one kind, each a typed UUID of that kind, sorted and unique. */
export function childOfFromIds(ids: ParentIds): string[] {
  if (ids.childOf !== undefined) return [...ids.childOf];
  for (const [field, type] of PARENT_KINDS) {
    const given = ids[field];
    if (given === undefined) continue;
    const list = typeof given === 'string' ? [given] : [...given];
    const wrong = list.find((value) => !isTypedUuid(value, type));
    if (wrong !== undefined) {
      throw new ManagedPipelineJobError(`${field} must hold ${type} typed UUIDs; '${wrong}' is not one`);
    }
    return [...new Set(list.map((value) => value.toLowerCase()))].sort();
  }
  return [];
}

export interface CallbackOptions {
  /** The Manager's URL as the platforms reach it; default the client's base URL. */
  readonly managerUrl?: string | URL | undefined;
  /** The nonce platforms authenticate their posts with (`pipelinejobs nonces create`). */
  readonly nonce?: string | undefined;
}

export interface ManagedPipelineJobOptions extends ParentIds, CallbackOptions {
  /** The pipeline that runs the job (106...). */
  readonly pipeline: PipelineUuid | string;
  /** The job's parameters; with the pipeline and child_of, its identity. */
  readonly data?: JsonObject | undefined;
  readonly agent?: string | undefined;
  readonly task?: string | undefined;
  /** A short correlation name; default a generated `adjective-animal`. */
  readonly session?: string | undefined;
  /** Default: the original's path, computed from the pipeline, child_of and data. */
  readonly archivePath?: string | undefined;
  /** Default `data-sd2e-community`. */
  readonly archiveSystem?: string | undefined;
  readonly archivePatterns?: ArchivePattern[] | undefined;
  readonly productPatterns?: ProductPattern[] | undefined;
  /** Adds `<session>-<UTC timestamp>` to the computed archive path: a directory per run. */
  readonly instanced?: boolean | undefined;
  /** The Hashids salt of archive paths; default the original's. */
  readonly hashidsSalt?: string | undefined;
  /** For the instance directory's timestamp; default now. */
  readonly clock?: (() => Date) | undefined;
}

/** Options of one event sent by a managed job. */
export interface ManagedEventOptions {
  /**
   * The Idempotency-Key (default a new one per call, kept across its retries). Give the same key
   * to a repeat of the same logical event, after an error whose cause is unknown, say, and the
   * repeat is a replay: the event is applied once.
   */
  readonly idempotencyKey?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What an event's answer, or a read of the job, says of where the job is. */
interface Progress {
  readonly state: State;
  readonly version: number;
  readonly lastEvent: EventName;
}

/**
 * A job this process reports on, known by its uuid and job token: send events (each returns the
 * job, with `state` and `version` current), build the platforms' callback URLs. The token (and
 * the callbacks' nonce) are held in private fields: JSON.stringify and util.inspect of the object
 * show neither.
 */
export class ManagedPipelineJobInstance {
  #current: JobDocument | undefined;
  #progress: Progress | undefined;
  #uuid: JobUuid | undefined;
  #token: string | undefined;
  readonly #callbacks: CallbackOptions;

  constructor(
    readonly client: PipelineJobsClient,
    jobUuid: JobUuid | undefined,
    jobToken: string | undefined,
    callbacks: CallbackOptions = {},
  ) {
    this.#uuid = jobUuid;
    this.#token = jobToken;
    this.#callbacks = { managerUrl: callbacks.managerUrl, nonce: callbacks.nonce };
  }

  /** The job's uuid (107...). */
  get uuid(): JobUuid {
    return this.identity().uuid;
  }
  get token(): string {
    return this.identity().token;
  }
  /**
   * The job as last read; undefined before `setup()` or `load()`. After an event whose read-back
   * failed, `state`, `version` and `lastEvent` are the event's (newer than this document's).
   */
  get job(): Readonly<JobDocument> | undefined {
    return this.#current;
  }
  get state(): State | undefined {
    return this.#progress?.state;
  }
  get version(): number | undefined {
    return this.#progress?.version;
  }
  get lastEvent(): EventName | undefined {
    return this.#progress?.lastEvent;
  }
  get archivePath(): string | undefined {
    return this.#current?.archive_path ?? undefined;
  }
  get archiveSystem(): string | undefined {
    return this.#current?.archive_system ?? undefined;
  }
  /** `agave://<system><path>`, as the original's archive_uri(). */
  get archiveUri(): string | undefined {
    const { archiveSystem, archivePath } = this;
    return archiveSystem && archivePath ? `agave://${archiveSystem}${archivePath}` : undefined;
  }

  protected identity(): { uuid: JobUuid; token: string } {
    if (this.#uuid === undefined || this.#token === undefined) {
      throw new ManagedPipelineJobError('The job is not set up yet: call setup() first');
    }
    return { uuid: this.#uuid, token: this.#token };
  }

  /** Keeps the job as read (or created), and its uuid and token when given. */
  protected adopt(job: JobDocument | undefined, identity?: { uuid: JobUuid; token: string }): void {
    this.#current = job;
    this.#progress = job && { state: job.state, version: job.version, lastEvent: job.last_event };
    if (identity) {
      this.#uuid = identity.uuid;
      this.#token = identity.token;
    }
  }

  /** Reads the job again. */
  async load(): Promise<this> {
    this.adopt(await this.client.jobs.get(this.identity().uuid));
    return this;
  }

  /**
   * Sends an event with the job token (or the admin token given) and reads the job back, so that
   * state and version are current. Retried safely: it carries an Idempotency-Key. Once the event
   * is applied it does not throw: if the read-back fails, state, version and last event are taken
   * from the event's answer (the event's seq is the job's version after it), and `job` stays the
   * document last read. A throw therefore means the event was not applied, or that its answer
   * was lost after the retries; repeat it with the same `idempotencyKey` to be sure it is applied
   * once.
   */
  async handle(
    name: EventName | string,
    data?: JsonObject,
    token?: string,
    options: ManagedEventOptions = {},
  ): Promise<this> {
    const answer = await this.send(name, data, token, options);
    try {
      return await this.load();
    } catch {
      const known = this.#progress;
      // A replay answers an event applied earlier: a read since then may know a later version.
      if (known === undefined || known.version < answer.event.seq) {
        this.#progress = {
          state: answer.job.state,
          version: answer.event.seq,
          lastEvent: answer.job.last_event,
        };
      }
      return this;
    }
  }

  /** Sends an event and gives the Manager's answer, without reading the job back. */
  async send(
    name: EventName | string,
    data?: JsonObject,
    token?: string,
    options: ManagedEventOptions = {},
  ): Promise<EventResult> {
    const { uuid, token: jobToken } = this.identity();
    return this.client.events.send({
      uuid,
      name,
      token: token ?? jobToken,
      data,
      idempotencyKey: options.idempotencyKey,
      signal: options.signal,
    });
  }

  run(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('run', data, undefined, options);
  }
  update(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('update', data, undefined, options);
  }
  resource(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('resource', data, undefined, options);
  }
  finish(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('finish', data, undefined, options);
  }
  /** Sends `fail`. It never deletes the job (the original's did, on a fresh object). */
  fail(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('fail', data, undefined, options);
  }
  index(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('index', data, undefined, options);
  }
  indexed(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('indexed', data, undefined, options);
  }
  validate(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('validate', data, undefined, options);
  }
  validated(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('validated', data, undefined, options);
  }
  reject(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('reject', data, undefined, options);
  }
  finalize(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('finalize', data, undefined, options);
  }
  retire(data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('retire', data, undefined, options);
  }
  /** From any state to RESET: an admin event, sent with an admin token. */
  reset(adminToken: string, data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('reset', data, adminToken, options);
  }
  /** RESET to CREATED, ready to run again: an admin event, sent with an admin token. */
  ready(adminToken: string, data?: JsonObject, options?: ManagedEventOptions) {
    return this.handle('ready', data, adminToken, options);
  }
  /** Deletes the job (an admin token); `force` removes it and its history. */
  async delete(adminToken: string, options: { force?: boolean } = {}): Promise<void> {
    await this.client.jobs.delete(this.identity().uuid, { adminToken, ...options });
    this.adopt(undefined);
  }

  /**
   * Removes the job, with its token, while no event but its create was applied, and only for its
   * creator: the explicit "delete the job I just created and never started" (a started job is a
   * 409: send `fail`).
   */
  async cancel(): Promise<void> {
    const { uuid, token } = this.identity();
    await this.client.jobs.cancel(uuid, { token });
    this.adopt(undefined);
  }

  /** The history, oldest first, a page at a time. */
  history() {
    return this.client.jobs.history(this.identity().uuid);
  }

  private target(): CallbackTarget {
    const { uuid, token } = this.identity();
    return {
      managerUrl: new URL(this.#callbacks.managerUrl ?? this.client.transport.baseUrl),
      uuid,
      token,
      nonce: this.#callbacks.nonce,
      session: this.#current?.session ?? undefined,
    };
  }

  /**
   * The URL a platform posts this job's status to; `status` is added as given (Agave's
   * `${JOB_STATUS}` macro, a fixed status, or left out for a body that carries it).
   */
  callbackUrl(options: { status?: string } = {}): string {
    return callbackUrl(this.target(), options);
  }
  /** The original's three Agave v2 notifications (RUNNING on, FINISHED, FAILED) for a job submission. */
  agaveNotifications(): AgaveNotification[] {
    return agaveNotifications(this.target());
  }
  /** The `subscriptions` of a Tapis v3 job submission that report every status change. */
  tapisSubscriptions(): TapisSubscription[] {
    return tapisSubscriptions(this.target());
  }
}

/**
 * A job this process creates and manages, as the original ManagedPipelineJob: constructed from
 * the pipeline and the job's parameters; `setup()` creates it, or finds the existing job with the
 * same identity, and keeps its uuid and token.
 */
export class ManagedPipelineJob extends ManagedPipelineJobInstance {
  readonly pipelineUuid: PipelineUuid;
  readonly childOf: readonly string[];
  readonly session: string;
  private data: JsonObject;
  /** Whether this object's setup() created the job (rather than finding it). */
  created = false;

  /** Held privately: it carries the callbacks' nonce. */
  readonly #options: ManagedPipelineJobOptions;

  constructor(client: PipelineJobsClient, options: ManagedPipelineJobOptions) {
    super(client, undefined, undefined, options);
    this.#options = options;
    const pipeline = parsePipelineUuid(options.pipeline);
    if (pipeline === undefined) {
      throw new ManagedPipelineJobError(
        `pipeline must be a pipeline UUID (106...), not '${options.pipeline}'`,
      );
    }
    this.pipelineUuid = pipeline;
    this.childOf = childOfFromIds(options);
    this.data = options.data ?? {};
    this.session = options.session ?? sessionName();
  }

  /** The path setup() sends: the one given, or the original's, from the data as it is then. */
  computedArchivePath(): string {
    if (this.#options.archivePath !== undefined) return this.#options.archivePath;
    // As the original: a session too short to name a directory is replaced by a generated one.
    const session = this.session.length >= MIN_INSTANCE_SESSION_LENGTH ? this.session : sessionName();
    return archivePath(
      { pipeline_uuid: this.pipelineUuid, child_of: this.childOf, data: this.data },
      {
        salt: this.#options.hashidsSalt,
        instance: this.#options.instanced
          ? { session, at: (this.#options.clock ?? (() => new Date()))() }
          : undefined,
      },
    );
  }

  /**
   * Creates the job, or finds the existing one with the same pipeline, child_of and data (then no
   * second `create` is recorded). `data` is merged into the job's data first (and, unlike the
   * original, the archive path follows it).
   */
  async setup(data: JsonObject = {}): Promise<this> {
    this.data = { ...this.data, ...data };
    const { job, created } = await this.client.jobs.create({
      pipeline_uuid: this.pipelineUuid,
      data: this.data,
      child_of: [...this.childOf],
      archive_path: this.computedArchivePath(),
      archive_system: this.#options.archiveSystem ?? DEFAULT_ARCHIVE_SYSTEM,
      session: this.session,
      ...(this.#options.agent === undefined ? {} : { agent: this.#options.agent }),
      ...(this.#options.task === undefined ? {} : { task: this.#options.task }),
      ...(this.#options.archivePatterns === undefined
        ? {}
        : { archive_patterns: this.#options.archivePatterns }),
      ...(this.#options.productPatterns === undefined
        ? {}
        : { product_patterns: this.#options.productPatterns }),
    });
    if (job.token === undefined) {
      throw new ManagedPipelineJobError(
        `Job ${job.uuid} already exists and another principal created it: ${job.token_withheld ?? 'its token was withheld'}`,
      );
    }
    const uuid = parseJobUuid(job.uuid);
    if (uuid === undefined)
      throw new ManagedPipelineJobError(`The Manager answered a job uuid '${job.uuid}' that is not one`);
    this.adopt(job, { uuid, token: job.token });
    this.created = created;
    return this;
  }
}

/** The context a reactor runs in: an Abaco actor's execution, or given explicitly. */
export interface ReactorContext {
  /** The actor id: the job's `agent`. */
  readonly actorId?: string | undefined;
  /** The execution id: the job's `task`. */
  readonly executionId?: string | undefined;
  /**
   * The execution's nickname: the job's `session`. Abaco sets no variable for it (the reactors
   * SDK made a petname per execution); without one, the session is a generated petname too.
   */
  readonly nickname?: string | undefined;
}

/** The reactor context from an Abaco-style environment (`_abaco_actor_id`, `_abaco_execution_id`). */
export function reactorContextFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): ReactorContext {
  return {
    actorId: env._abaco_actor_id || undefined,
    executionId: env._abaco_execution_id || undefined,
    nickname: env._abaco_execution_nickname || env.REACTOR_NICKNAME || undefined,
  };
}

/**
 * ManagedPipelineJob configured from a reactor's context: `agent` is the actor id, `task` the
 * execution id, `session` the nickname (each overridable in the options).
 */
export class ReactorManagedPipelineJob extends ManagedPipelineJob {
  constructor(client: PipelineJobsClient, context: ReactorContext, options: ManagedPipelineJobOptions) {
    super(client, {
      ...options,
      agent: options.agent ?? context.actorId,
      task: options.task ?? context.executionId,
      session: options.session ?? context.nickname,
    });
  }
}
