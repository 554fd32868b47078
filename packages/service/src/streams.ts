import type { Principal } from '@pipelinejobs/auth';
import {
  asciiUpper,
  EVENT_NAMES,
  type EventName,
  type JobUuid,
  normalizeEventName,
  type PipelineUuid,
  parsePipelineUuid,
  STATE_NAMES,
  type State,
} from '@pipelinejobs/core';
import type { HistoryEvent } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { requireRole } from './authentication.js';
import { DATABASE } from './database-key.js';
import { ServiceError } from './errors.js';
import type { Services } from './services.js';
import { DEFAULT_STREAM_SETTINGS, type StreamSettings } from './stream-settings.js';

/**
 * The channel a Manager notifies when it wrote transitions, so that the streams other Managers
 * serve read them at once; the payload is the schema, so Managers of another schema ignore it.
 */
const CHANNEL = 'pipelinejobs_events';
/** At most one NOTIFY per this many milliseconds per process (each is a transaction of its own). */
const NOTIFY_MS = 50;
/** A wake-up reads this much later, so that events committed meanwhile are read together. */
const GATHER_MS = 5;
/** Entries read by one statement of the shared reader, and per page of a replay. */
const READ_BATCH = 1000;
const REPLAY_PAGE = 500;

/** An entry of the global stream: the job's history entry with its job and pipeline. */
export type GlobalStreamEntry = HistoryEvent & { job_uuid: JobUuid; pipeline_uuid: PipelineUuid };

/** One event of a stream, as an app frames it: its id, its name and the entry. */
export interface StreamMessage {
  readonly id: string;
  readonly event: EventName;
  readonly data: HistoryEvent | GlobalStreamEntry;
}

/** Where a stream's events go: the app's framing. */
export interface StreamSink {
  /** An event, in order; returns false when the consumer is too far behind (the stream ends). */
  send(message: StreamMessage): boolean;
  /** Nothing to send for a while: a sign of life. Returns false as `send` does. */
  heartbeat(): boolean;
  /**
   * A global stream that starts now, before any event: the id to resume from should it end
   * before it sent one (so that what is written meanwhile is not lost).
   */
  place?(id: string): void;
  /** The stream ends from this side, saying why (the job was deleted, the consumer too slow, shutdown). */
  end(reason: StreamEnd): void;
}

export type StreamEnd =
  | { reason: 'deleted'; uuid: JobUuid }
  | { reason: 'slow_consumer'; maxBufferedBytes: number }
  | { reason: 'revoked' }
  | { reason: 'shutdown' };

/** What to stream: one job's events, or all with filters; from where. */
export type StreamRequest =
  | { kind: 'job'; jobUuid: JobUuid; after?: string | undefined }
  | {
      kind: 'global';
      pipelineUuid?: PipelineUuid | undefined;
      states?: readonly State[] | undefined;
      events?: readonly EventName[] | undefined;
      after?: string | undefined;
    };

/** What `openEventStream` may be asked besides opening: only the checks (a HEAD request). */
export interface OpenOptions {
  /** Check everything a stream's opening checks, then open nothing (the stream returned is closed). */
  readonly probe?: boolean;
}

export interface OpenStream {
  /** The consumer went away: stops feeding it (idempotent). */
  close(): void;
  /** What a client should wait before reconnecting. */
  readonly retryMs: number;
}

/** A global stream's event id: the cursor as `xact-position`. */
function cursorId(cursor: storage.StreamCursor): string {
  return `${cursor.xact}-${cursor.position}`;
}

const CURSOR_ID = /^(\d{1,20})-(\d{1,19})$/;

const MAX_XID8 = 2n ** 64n - 1n;

function parseCursorId(text: string): storage.StreamCursor {
  const match = CURSOR_ID.exec(text);
  const position = match ? Number(match[2]) : Number.NaN;
  // Decimal text without leading zeros, so that the database reads the number compared here.
  const xact = match ? BigInt(match[1] as string) : -1n;
  if (!match || !Number.isSafeInteger(position) || xact > MAX_XID8) {
    throw new ServiceError(
      'invalid',
      `'${text.slice(0, 64)}' is not an event id of the global stream: resume with the id of the last event received (Last-Event-ID or ?after=, digits-digits such as 812-45), or leave it out to start now`,
      { errors: [{ path: '/url/after', message: '/url/after is not an event id of this stream' }] },
    );
  }
  return { xact: xact.toString(), position };
}

function parseSeq(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 2_147_483_647) {
    throw new ServiceError(
      'invalid',
      `'${text.slice(0, 64)}' is not an event id of a job's stream: resume with the seq of the last event received (Last-Event-ID or ?after=), 0 for the whole history`,
      { errors: [{ path: '/url/after', message: '/url/after is not a seq' }] },
    );
  }
  return Number(text);
}

/** A consumer fed by the shared reader. */
interface Subscriber {
  readonly credential: string;
  /** Whose stream it is: checked at each poll, a credential revoked or expired ends it. */
  readonly principal: Pick<Principal, 'kind' | 'id' | 'expiresAt'>;
  readonly sink: StreamSink;
  /** The shared reader's entries since the last; called only once the subscriber is live. */
  deliver(entries: readonly storage.StreamEntry[]): void;
  /** The job of a one-job stream, checked at each poll for its deletion. */
  readonly jobUuid?: JobUuid;
  /** A one-job stream's: the uuid of the job's create entry (which job of that uuid it streams). */
  readonly createUuid?: string;
  /** A one-job stream's: the seq of the last entry sent. */
  readonly lastSeq?: () => number;
  /** A one-job stream's: reads its history after the last entry sent (never rejects). */
  readonly catchUp?: () => Promise<void>;
  closed: boolean;
}

interface Hub {
  readonly settings: StreamSettings;
  /** Stopped (shutdown): no stream opens any more. */
  readonly stopped: () => boolean;
  /** Open streams, live or replaying. */
  readonly open: Set<Subscriber>;
  /** Those fed by the shared reader. */
  readonly live: Set<Subscriber>;
  readonly perCredential: Map<string, number>;
  /** The shared reader's place; undefined while no stream is open. */
  cursor: storage.StreamCursor | undefined;
  starting: Promise<storage.StreamCursor> | undefined;
  wake(): void;
  /** Resolves once the reader has a place (the first stream starts it). */
  ensureStarted(): Promise<storage.StreamCursor>;
  release(sub: Subscriber): void;
  stop(): Promise<void>;
  /** Entries read and fanned out (for the bench). */
  readonly stats: { reads: number; entries: number };
}

const hubs = new WeakMap<Services, Hub>();

/**
 * Serves event streams for these services: one reader per process feeds every open stream (one
 * statement per wake-up, its entries fanned out), woken by this process's writes (s.outbox), by
 * other Managers' NOTIFY (listened for only while a stream is open), and every `pollMs` (all
 * there is where LISTEN does not work). This process's writes are announced to the other Managers
 * with a NOTIFY at most every 50 ms. Started by the Manager; a process that never calls it (the
 * CLI) gets a reader with the default settings when it opens its first stream, and announces
 * nothing.
 */
export function startEventStreams(
  s: Services,
  settings: Partial<StreamSettings> = {},
): { stop(): Promise<void> } {
  const existing = hubs.get(s);
  if (existing) return existing;
  const hub = createHub(s, { ...DEFAULT_STREAM_SETTINGS, ...settings }, { announce: true });
  hubs.set(s, hub);
  return hub;
}

function hubOf(s: Services): Hub {
  let hub = hubs.get(s);
  if (!hub) {
    hub = createHub(s, DEFAULT_STREAM_SETTINGS, { announce: false });
    hubs.set(s, hub);
  }
  return hub;
}

/** Open streams of these services (the metrics' gauge, the bench). */
export function streamStats(s: Services): { open: number; reads: number; entries: number } {
  const hub = hubs.get(s);
  return { open: hub?.open.size ?? 0, reads: hub?.stats.reads ?? 0, entries: hub?.stats.entries ?? 0 };
}

function createHub(s: Services, settings: StreamSettings, options: { announce: boolean }): Hub {
  const db = s[DATABASE];
  const schema = db.schema ?? 'public';
  let stopped = false;
  let reading = false;
  let again = false;
  let gathering: NodeJS.Timeout | undefined;
  let poller: NodeJS.Timeout | undefined;
  let beating: NodeJS.Timeout | undefined;
  let listener: ReturnType<storage.Database['listen']> | undefined;
  let telling: NodeJS.Timeout | undefined;

  const read = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (;;) {
          const after = hub.cursor;
          if (after === undefined || stopped) break;
          // Entries of jobs deleted since are left out, as reading their history is refused.
          const entries = await storage.selectStreamEntries(db, {
            after,
            limit: READ_BATCH,
            visibleJobs: true,
          });
          hub.stats.reads += 1;
          const last = entries.at(-1);
          if (!last || hub.cursor !== after) break;
          // The place moves and the entries go out in the same turn: a stream that compares its
          // own place with the reader's and joins cannot miss or repeat one.
          hub.cursor = last.cursor;
          hub.stats.entries += entries.length;
          for (const sub of [...hub.live]) if (!sub.closed) sub.deliver(entries);
          if (entries.length < READ_BATCH) break;
        }
      } while (again && !stopped);
    } catch {
      // The database away: the next poll tries again.
    } finally {
      reading = false;
    }
  };
  const wake = () => {
    if (stopped || hub.cursor === undefined) return;
    gathering ??= setTimeout(() => {
      gathering = undefined;
      void read();
    }, GATHER_MS);
  };
  const checkDeleted = async () => {
    const jobs = new Map<string, { uuid: JobUuid; createUuid: string }>();
    for (const sub of hub.open) {
      if (sub.jobUuid !== undefined && sub.createUuid !== undefined) {
        jobs.set(`${sub.jobUuid} ${sub.createUuid}`, { uuid: sub.jobUuid, createUuid: sub.createUuid });
      }
    }
    if (jobs.size === 0) return;
    try {
      const ended = new Set(await storage.selectEndedJobs(db, [...jobs.values()]));
      if (ended.size === 0) return;
      // Entries committed before the delete go out first (the shared reader leaves out those of
      // jobs deleted: each stream reads its own job's history).
      const ending = [...hub.open].filter((sub) => sub.jobUuid !== undefined && ended.has(sub.jobUuid));
      await Promise.all(ending.map((sub) => sub.catchUp?.()));
      for (const sub of ending) {
        if (!sub.closed && sub.jobUuid !== undefined) {
          hub.release(sub);
          sub.sink.end({ reason: 'deleted', uuid: sub.jobUuid });
        }
      }
    } catch {
      // Asked again at the next poll.
    }
  };
  // A job's stream is in seq order, which needs no horizon: a transaction left open elsewhere
  // holds the shared reader back, not it. Each poll asks (one statement for every open job
  // stream) which jobs have entries after the last one sent, and those read their history.
  const checkJobs = async () => {
    const jobs: { uuid: JobUuid; after: number }[] = [];
    const byJob = new Map<JobUuid, Subscriber[]>();
    for (const sub of hub.live) {
      if (sub.jobUuid === undefined || sub.lastSeq === undefined) continue;
      jobs.push({ uuid: sub.jobUuid, after: sub.lastSeq() });
      byJob.set(sub.jobUuid, [...(byJob.get(sub.jobUuid) ?? []), sub]);
    }
    if (jobs.length === 0) return;
    try {
      for (const uuid of await storage.selectJobsWithEntriesAfter(db, jobs)) {
        for (const sub of byJob.get(uuid) ?? []) if (!sub.closed) void sub.catchUp?.();
      }
    } catch {
      // Asked again at the next poll.
    }
  };
  // A credential revoked (or a nonce expired) after its stream opened ends the stream: it must
  // not go on reading what a new request with it would be refused.
  const checkCredentials = async () => {
    const now = s.clock().getTime();
    for (const sub of [...hub.open]) {
      const expiresAt = sub.principal.expiresAt;
      if (expiresAt !== undefined && expiresAt.getTime() <= now) {
        hub.release(sub);
        sub.sink.end({ reason: 'revoked' });
      }
    }
    const apiKeys = new Set<string>();
    const nonces = new Set<string>();
    for (const sub of hub.open) {
      if (sub.principal.kind === 'api_key') apiKeys.add(sub.principal.id);
      else if (sub.principal.kind === 'nonce') nonces.add(sub.principal.id);
    }
    if (apiKeys.size === 0 && nonces.size === 0) return;
    try {
      const invalid = await storage.selectInvalidCredentials(db, {
        apiKeys: [...apiKeys],
        nonces: [...nonces],
      });
      const ended = new Set([
        ...invalid.apiKeys.map((id) => `api_key:${id}`),
        ...invalid.nonces.map((id) => `nonce:${id}`),
      ]);
      if (ended.size === 0) return;
      for (const sub of [...hub.open]) {
        if (ended.has(sub.credential)) {
          hub.release(sub);
          sub.sink.end({ reason: 'revoked' });
        }
      }
    } catch {
      // Asked again at the next poll.
    }
  };
  // One poll at a time: a database slow to answer gets no pile of them.
  let polling = false;
  const poll = () => {
    if (polling) return;
    polling = true;
    // The credentials first: a stream whose key was revoked gets nothing more.
    void checkCredentials()
      .then(() => Promise.all([read(), checkDeleted(), checkJobs()]))
      .finally(() => {
        polling = false;
      });
  };
  const heartbeat = () => {
    for (const sub of [...hub.open]) {
      if (!sub.sink.heartbeat()) {
        hub.release(sub);
        sub.sink.end({ reason: 'slow_consumer', maxBufferedBytes: settings.maxBufferedBytes });
      }
    }
  };
  const startFeeding = () => {
    poller = setInterval(poll, settings.pollMs);
    poller.unref();
    beating = setInterval(heartbeat, settings.heartbeatMs);
    beating.unref();
    listener = db.listen(CHANNEL, {
      notify: (payload) => {
        if (payload === schema) wake();
      },
      // Up again after a loss: what was announced meanwhile is read now.
      listening: (up) => {
        if (up) wake();
      },
    });
  };
  const stopFeeding = () => {
    clearInterval(poller);
    clearInterval(beating);
    clearTimeout(gathering);
    gathering = undefined;
    poller = undefined;
    beating = undefined;
    hub.cursor = undefined;
    hub.starting = undefined;
    const stopping = listener;
    listener = undefined;
    stopping?.stop().catch(() => {});
  };
  // Every transition, whether or not it queued notifications; not a replay's notifications.
  const stopHearing = s.outbox.listen((_queued, transition) => {
    if (stopped || !transition) return;
    wake();
    if (options.announce) {
      telling ??= setTimeout(() => {
        telling = undefined;
        db.sql.notify(CHANNEL, schema).catch(() => {});
      }, NOTIFY_MS);
    }
  });

  const hub: Hub = {
    settings,
    stopped: () => stopped,
    open: new Set(),
    live: new Set(),
    perCredential: new Map(),
    cursor: undefined,
    starting: undefined,
    stats: { reads: 0, entries: 0 },
    wake,
    ensureStarted() {
      if (hub.cursor !== undefined) return Promise.resolve(hub.cursor);
      if (!hub.starting) {
        const starting = storage.streamHorizon(db).then(
          (cursor) => {
            if (hub.starting !== starting) return cursor;
            hub.cursor = cursor;
            startFeeding();
            return cursor;
          },
          (error: unknown) => {
            if (hub.starting === starting) hub.starting = undefined;
            throw error;
          },
        );
        hub.starting = starting;
      }
      return hub.starting;
    },
    release(sub) {
      if (sub.closed) return;
      sub.closed = true;
      hub.open.delete(sub);
      hub.live.delete(sub);
      const count = (hub.perCredential.get(sub.credential) ?? 1) - 1;
      if (count <= 0) hub.perCredential.delete(sub.credential);
      else hub.perCredential.set(sub.credential, count);
      // Nobody watching: no reader, no listening connection, no timers.
      if (hub.open.size === 0) stopFeeding();
    },
    async stop() {
      stopped = true;
      stopHearing();
      clearTimeout(telling);
      for (const sub of [...hub.open]) {
        hub.release(sub);
        sub.sink.end({ reason: 'shutdown' });
      }
      stopFeeding();
    },
  };
  return hub;
}

function credentialOf(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/**
 * Opens a stream of events for the principal (role read or above): a job's (ids are its seqs;
 * from the start of its history unless `after` says where the consumer stopped) or every job's,
 * with filters (ids are global places; from now unless `after` says). Events missed are read
 * from the history first, then the stream is fed live, each event once and in order. Refused
 * with `rate_limited` past the caps; a job missing or deleted is refused as reading it is.
 */
export async function openEventStream(
  s: Services,
  principal: Principal,
  request: StreamRequest,
  sink: StreamSink,
  options: OpenOptions = {},
): Promise<OpenStream> {
  requireRole(principal, 'read', 'watch jobs');
  const hub = hubOf(s);
  const { settings } = hub;
  // Parsed and the job checked before anything is counted or held.
  const db = s[DATABASE];
  const jobAfter = request.kind === 'job' && request.after !== undefined ? parseSeq(request.after) : 0;
  const globalAfter =
    request.kind === 'global' && request.after !== undefined ? parseCursorId(request.after) : undefined;
  let createUuid: string | undefined;
  if (request.kind === 'job') {
    const job = await storage.selectJob(db, request.jobUuid);
    // A place past the job's last entry is no place in its history: most likely the last id of
    // a job removed (force delete) and created again with the same uuid, whose entries up to
    // there would be skipped as if they were the old job's.
    if (jobAfter > job.version) {
      throw new ServiceError(
        'invalid',
        `Job ${request.jobUuid} has ${job.version} events: ${jobAfter} is not one of them (was the job deleted and created again?); resume with the id of the last event received from this job, or 0 for its whole history`,
        { errors: [{ path: '/url/after', message: "/url/after is past the job's last event" }] },
      );
    }
    createUuid = (await storage.selectJobEntries(db, request.jobUuid, { after: 0, limit: 1 }))[0]?.uuid;
  }
  if (globalAfter !== undefined && !(await storage.isSettledCursor(db, globalAfter))) {
    throw new ServiceError(
      'invalid',
      `'${request.after}' is past every event of the global stream this database has: resume with the id of the last event received, or leave it out to start now`,
      { errors: [{ path: '/url/after', message: '/url/after is past the newest event of the stream' }] },
    );
  }
  if (hub.stopped()) {
    throw new ServiceError(
      'unavailable',
      'This Manager is shutting down: open the stream on another one, or again shortly',
    );
  }
  const credential = credentialOf(principal);
  const mine = hub.perCredential.get(credential) ?? 0;
  if (mine >= settings.perCredential) {
    throw new ServiceError(
      'rate_limited',
      `This credential has ${mine} event streams open, the most one may have (${settings.perCredential}): close one (end its connection, or \`break\` out of client.watch()) before opening another, or use another credential`,
      { limit: settings.perCredential, open: mine },
    );
  }
  if (hub.open.size >= settings.total) {
    throw new ServiceError(
      'rate_limited',
      `This Manager serves ${hub.open.size} event streams, the most it serves at once (${settings.total}): try again later or another Manager`,
      { limit: settings.total },
    );
  }
  if (options.probe) return { close: () => {}, retryMs: settings.retryMs };
  const who = {
    kind: principal.kind,
    id: principal.id,
    ...(principal.expiresAt === undefined ? {} : { expiresAt: principal.expiresAt }),
  };
  if (request.kind === 'job') {
    return subscribe(hub, credential, who, sink, (sub) =>
      jobFeed(db, hub, sub, request.jobUuid, jobAfter, createUuid ?? ''),
    );
  }
  return subscribe(hub, credential, who, sink, (sub) => globalFeed(db, hub, sub, request, globalAfter));
}

/** Counts the stream against the caps, starts its feed, and hands back how to close it. */
async function subscribe(
  hub: Hub,
  credential: string,
  principal: Subscriber['principal'],
  sink: StreamSink,
  feed: (sub: Subscriber) => {
    deliver: Subscriber['deliver'];
    start(): Promise<void>;
    job?: Pick<Subscriber, 'jobUuid' | 'createUuid' | 'lastSeq' | 'catchUp'>;
  },
): Promise<OpenStream> {
  const sub: Subscriber = {
    credential,
    principal,
    sink,
    closed: false,
    deliver: () => {},
  };
  const made = feed(sub);
  Object.assign(sub, { deliver: made.deliver, ...made.job });
  hub.open.add(sub);
  hub.perCredential.set(credential, (hub.perCredential.get(credential) ?? 0) + 1);
  try {
    await hub.ensureStarted();
    await made.start();
  } catch (error) {
    hub.release(sub);
    throw error;
  }
  return { close: () => hub.release(sub), retryMs: hub.settings.retryMs };
}

/** Sends one event; a consumer too far behind is ended. False once the stream is over. */
function sendTo(hub: Hub, sub: Subscriber, message: StreamMessage): boolean {
  if (sub.closed) return false;
  if (sub.sink.send(message)) return true;
  hub.release(sub);
  sub.sink.end({ reason: 'slow_consumer', maxBufferedBytes: hub.settings.maxBufferedBytes });
  return false;
}

/**
 * A job's stream: its history after `after` by seq, then its entries as the shared reader finds
 * them. A job's entries are written in seq order under its row lock, so an entry that does not
 * follow the last one sent means some were read before this stream joined: they are read from
 * the history, by seq, so none is skipped or repeated.
 */
function jobFeed(
  db: storage.Database,
  hub: Hub,
  sub: Subscriber,
  jobUuid: JobUuid,
  after: number,
  createUuid: string,
) {
  let lastSeq = after;
  let catchingUp = false;
  let more = false;
  const send = (event: HistoryEvent) => {
    // Another create than the job's: it was removed and created again with the same uuid. Its
    // entries are another history, never a continuation of this one.
    if (event.seq === 1 && event.uuid !== createUuid) {
      if (!sub.closed) {
        hub.release(sub);
        sub.sink.end({ reason: 'deleted', uuid: jobUuid });
      }
      return false;
    }
    if (event.seq <= lastSeq) return true;
    lastSeq = event.seq;
    return sendTo(hub, sub, jobMessage(event));
  };
  let pass: Promise<void> = Promise.resolve();
  // One pass at a time; asked during one, it goes round again, and the caller waits for that.
  const catchUp = (): Promise<void> => {
    if (catchingUp) {
      more = true;
      return pass;
    }
    pass = catchUpPass();
    return pass;
  };
  const catchUpPass = async (): Promise<void> => {
    catchingUp = true;
    try {
      do {
        more = false;
        for (;;) {
          const page = await storage.selectJobEntries(db, jobUuid, {
            after: lastSeq,
            limit: REPLAY_PAGE,
            createUuid,
          });
          for (const event of page) if (!send(event)) return;
          if (page.length < REPLAY_PAGE) break;
        }
      } while (more && !sub.closed);
    } finally {
      catchingUp = false;
    }
  };
  return {
    job: {
      jobUuid,
      createUuid,
      lastSeq: () => lastSeq,
      catchUp: () => catchUp().catch(() => {}),
    },
    deliver(entries: readonly storage.StreamEntry[]) {
      for (const entry of entries) {
        if (entry.jobUuid !== jobUuid) continue;
        if (entry.event.seq === 1 && entry.event.uuid !== createUuid) {
          send(entry.event);
          return;
        }
        if (entry.event.seq <= lastSeq) continue;
        if (catchingUp || entry.event.seq !== lastSeq + 1) {
          catchUp().catch(() => {});
          return;
        }
        if (!send(entry.event)) return;
      }
    },
    async start() {
      if (sub.closed) return;
      // Live first, so that entries read meanwhile set off another pass of the catch-up.
      hub.live.add(sub);
      await catchUp();
    },
  };
}

function wants(filter: storage.StreamFilter, entry: storage.StreamEntry): boolean {
  return (
    (filter.pipelineUuid === undefined || entry.pipelineUuid === filter.pipelineUuid) &&
    (filter.states === undefined || filter.states.includes(entry.event.to)) &&
    (filter.events === undefined || filter.events.includes(entry.event.name))
  );
}

/**
 * The messages of entries the shared reader read, made once for every stream they go to (so an
 * app can frame each once too: the same object is handed to every sink).
 */
const globalMessages = new WeakMap<storage.StreamEntry, StreamMessage>();
const jobMessages = new WeakMap<HistoryEvent, StreamMessage>();

function globalMessage(entry: storage.StreamEntry): StreamMessage {
  let message = globalMessages.get(entry);
  if (!message) {
    message = {
      id: cursorId(entry.cursor),
      event: entry.event.name,
      data: { job_uuid: entry.jobUuid, pipeline_uuid: entry.pipelineUuid, ...entry.event },
    };
    globalMessages.set(entry, message);
  }
  return message;
}

function jobMessage(event: HistoryEvent): StreamMessage {
  let message = jobMessages.get(event);
  if (!message) {
    message = { id: String(event.seq), event: event.name, data: event };
    jobMessages.set(event, message);
  }
  return message;
}

/**
 * The global stream: settled entries after `after`, read in pages up to the shared reader's
 * place, until this stream has caught up with it; then it joins, in the same turn as its last
 * comparison, and is fed by the reader. Without `after` it starts at the reader's place.
 */
function globalFeed(
  db: storage.Database,
  hub: Hub,
  sub: Subscriber,
  request: Extract<StreamRequest, { kind: 'global' }>,
  after: storage.StreamCursor | undefined,
) {
  const filter: storage.StreamFilter = {
    pipelineUuid: request.pipelineUuid,
    states: request.states,
    events: request.events,
  };
  let cursor = after;
  return {
    deliver(entries: readonly storage.StreamEntry[]) {
      for (const entry of entries) {
        if (cursor !== undefined && storage.compareCursors(entry.cursor, cursor) <= 0) continue;
        cursor = entry.cursor;
        if (wants(filter, entry) && !sendTo(hub, sub, globalMessage(entry))) return;
      }
    },
    async start() {
      for (;;) {
        if (sub.closed) return;
        const upTo = hub.cursor;
        if (upTo === undefined) return;
        if (cursor === undefined || storage.compareCursors(cursor, upTo) >= 0) {
          if (cursor === undefined) {
            cursor = upTo;
            sub.sink.place?.(cursorId(upTo));
          }
          hub.live.add(sub);
          return;
        }
        const page = await storage.selectStreamEntries(db, {
          after: cursor,
          upTo,
          filter,
          limit: REPLAY_PAGE,
          visibleJobs: true,
        });
        for (const entry of page) if (!sendTo(hub, sub, globalMessage(entry))) return;
        cursor = page.length < REPLAY_PAGE ? upTo : (page.at(-1)?.cursor ?? upTo);
      }
    },
  };
}

/** A filter parameter given once: one value or a comma-separated list. */
function listParameter(query: Readonly<Record<string, unknown>>, name: string): string[] | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ServiceError(
      'invalid',
      `Give the '${name}' parameter once (a comma-separated list for several)`,
    );
  return value.split(',').map((item) => item.trim());
}

/**
 * The global stream's filters from a query string or the CLI's options (`pipeline_uuid`, `state`
 * and `event`, each one value or a comma-separated list of states or events), as typed values.
 */
export function parseStreamFilter(query: Readonly<Record<string, unknown>>): {
  pipelineUuid?: PipelineUuid;
  states?: State[];
  events?: EventName[];
} {
  const pipelineRaw = query.pipeline_uuid;
  let pipelineUuid: PipelineUuid | undefined;
  if (pipelineRaw !== undefined && pipelineRaw !== '') {
    pipelineUuid = typeof pipelineRaw === 'string' ? parsePipelineUuid(pipelineRaw.trim()) : undefined;
    if (pipelineUuid === undefined)
      throw new ServiceError('invalid', "'pipeline_uuid' must be a pipeline UUID (106...)");
  }
  const states = listParameter(query, 'state')?.map((raw) => {
    const state = asciiUpper(raw);
    if (!(STATE_NAMES as readonly string[]).includes(state)) {
      throw new ServiceError(
        'invalid',
        `'${raw.slice(0, 40)}' is not a state; states are ${STATE_NAMES.join(', ')}`,
      );
    }
    return state as State;
  });
  const events = listParameter(query, 'event')?.map((raw) => {
    const event = normalizeEventName(raw);
    if (!(EVENT_NAMES as readonly string[]).includes(event)) {
      throw new ServiceError(
        'invalid',
        `'${raw.slice(0, 40)}' is not an event; events are ${EVENT_NAMES.join(', ')}`,
      );
    }
    return event as EventName;
  });
  return {
    ...(pipelineUuid ? { pipelineUuid } : {}),
    ...(states ? { states } : {}),
    ...(events ? { events } : {}),
  };
}
