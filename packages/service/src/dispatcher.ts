import { openSealedSecret, webhookSignature } from '@pipelinejobs/auth';
import type { EventName, JobUuid, PipelineUuid, State } from '@pipelinejobs/core';
import type { WebhookNotification } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { DATABASE } from './database-key.js';
import type { Services } from './services.js';
import { type PostResult, postNotification, type ReceiverAgents, receiverAgents } from './webhook-post.js';
import type { WebhookSettings } from './webhook-settings.js';

/**
 * The channel a dispatcher notifies when its process queued notifications, to wake the others; the
 * payload is the schema, so Managers of another schema on the same database ignore it.
 */
const CHANNEL = 'pipelinejobs_outbox';
/** At most one NOTIFY per this many milliseconds per process (each is a transaction of its own). */
const NOTIFY_MS = 50;
/** A claim outlives the attempt's timeout by this much: time to record what it got. */
const LEASE_MARGIN_MS = 10_000;
/**
 * A wake-up (a NOTIFY, notifications queued here) runs the claim this much later, so that the
 * notifications of the events committed meanwhile are claimed by one statement rather than one each.
 */
const GATHER_MS = 10;
/** Attempts recorded together: those ending within this many milliseconds, at most so many. */
const RECORD_GATHER_MS = 5;
const RECORD_BATCH = 64;
/** The longest wait a receiver's Retry-After may ask for. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Wakes the dispatchers of the Managers on this database (those LISTENing) at once: for a process
 * that runs none of its own (the CLI) and queued notifications, when it closes its services.
 */
export async function tellDispatchers(s: Services): Promise<void> {
  const db = s[DATABASE];
  await db.sql.notify(CHANNEL, db.schema ?? 'public');
}

type DeliveryOutcome = storage.AttemptResult['outcome'];

export interface DispatcherHooks {
  /** After each attempt, recorded: what became of it and how long the receiver took. */
  attempted?: (outcome: DeliveryOutcome, durationMs: number) => void;
  /** A claim or a record that failed (the database away): the dispatcher goes on polling. */
  failed?: (error: unknown) => void;
  /** After each claim statement, with the number of notifications it claimed. */
  claimed?: (count: number) => void;
}

export interface Dispatcher {
  /** Looks for due notifications now (besides the LISTEN wake-ups and the polling). */
  wake(): void;
  /** Stops claiming and waits for the attempts in flight to be recorded. */
  stop(): Promise<void>;
}

/**
 * The body a subscriber receives (schemas/webhook-notification.json), keys in a fixed order; an
 * overdue notification describes the job's latest history entry, and says which budget it outlived.
 */
function notificationBody(claimed: storage.ClaimedDelivery): string {
  const { event } = claimed;
  const body: WebhookNotification = {
    type: claimed.kind === 'overdue' ? 'job.overdue' : 'job.transition',
    job_uuid: claimed.jobUuid as JobUuid,
    event_name: event.name as EventName,
    job_state: event.to as State,
    data: { last_event: event.name as EventName },
    event_uuid: event.uuid,
    seq: claimed.seq,
    from: event.from as State,
    to: event.to as State,
    time: event.date,
    principal_kind: event.principalKind,
    pipeline_uuid: event.pipelineUuid as PipelineUuid,
  };
  if (claimed.kind === 'overdue' && claimed.overdue) {
    const { state, budget, deadline, since } = claimed.overdue;
    body.overdue = { state: state as State, budget, deadline, since };
  }
  return JSON.stringify(body);
}

/** The secrets to sign with now: the current one, and the previous one during its grace period. */
function signingSecrets(s: Services, secrets: storage.SealedSecrets, now: Date): string[] {
  const current = openSealedSecret(s.secret, secrets.secret);
  const previousValid =
    secrets.previousSecret !== null &&
    secrets.previousSecretUntil !== null &&
    Date.parse(secrets.previousSecretUntil) > now.getTime();
  return previousValid ? [current, openSealedSecret(s.secret, secrets.previousSecret as string)] : [current];
}

/** The wait before the next attempt after `attempts` failed ones, +-10% jitter; undefined: give up. */
function retryDelay(settings: WebhookSettings, attempts: number, retryAfterMs: number | undefined) {
  const scheduled = settings.retryScheduleMs[attempts - 1];
  if (scheduled === undefined) return undefined;
  const jittered = scheduled * (0.9 + Math.random() * 0.2);
  return retryAfterMs === undefined
    ? jittered
    : Math.min(Math.max(jittered, retryAfterMs), MAX_RETRY_AFTER_MS);
}

/** Sends one claimed notification, signed, and records the attempt and what becomes of it. */
async function deliver(
  s: Services,
  claimed: storage.ClaimedDelivery,
  hooks: DispatcherHooks,
  agents: ReceiverAgents,
  record: (attempt: Attempt) => Promise<void>,
): Promise<void> {
  const settings = s.webhooks;
  const now = s.clock();
  const body = notificationBody(claimed);
  const id = storage.webhookId(claimed);
  const timestamp = Math.floor(now.getTime() / 1000);
  let result: PostResult;
  try {
    const signature = webhookSignature(signingSecrets(s, claimed.secrets, now), { id, timestamp, body });
    result = await postNotification(
      claimed.url,
      {
        'content-type': 'application/json',
        'user-agent': 'PipelineJobs-Manager',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body,
      { timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivate, agents },
    );
  } catch (error) {
    // The secret cannot be opened (sealed under another server secret): an attempt that failed.
    result = {
      statusCode: undefined,
      error: error instanceof Error ? error.message : String(error),
      retryAfterMs: undefined,
      durationMs: 0,
    };
  }
  const ok = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  const attempts = claimed.attempts + 1;
  // A 410 disables the subscription; the notification stays pending for when it is enabled again.
  const delay = ok ? undefined : gone ? 0 : retryDelay(settings, attempts, result.retryAfterMs);
  const outcome: DeliveryOutcome = ok ? 'delivered' : delay === undefined ? 'failed' : 'retry';
  await record({
    claimed,
    result: {
      statusCode: result.statusCode ?? null,
      error: result.error ?? (ok ? null : `the receiver answered ${result.statusCode}`),
      durationMs: result.durationMs,
      outcome,
      ...(delay === undefined ? {} : { nextAttemptAt: new Date(Date.now() + delay) }),
      gone,
    },
  });
  hooks.attempted?.(outcome, result.durationMs);
}

type Attempt = Parameters<typeof storage.recordAttempts>[1][number];

/**
 * Records attempts in batches: those that end within RECORD_GATHER_MS of each other (at most
 * RECORD_BATCH) share one statement. Each caller's promise settles once its attempt is recorded.
 */
function attemptRecorder(s: Services): (attempt: Attempt) => Promise<void> {
  let batch: { attempt: Attempt; recorded: () => void; failed: (error: unknown) => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const taken = batch;
    batch = [];
    storage
      .recordAttempts(
        s[DATABASE],
        taken.map((t) => t.attempt),
        { disableAfterMs: s.webhooks.disableAfterMs },
      )
      .then(
        () => {
          for (const t of taken) t.recorded();
        },
        (error: unknown) => {
          for (const t of taken) t.failed(error);
        },
      );
  };
  return (attempt) =>
    new Promise<void>((recorded, failed) => {
      batch.push({ attempt, recorded, failed });
      if (batch.length >= RECORD_BATCH) flush();
      else timer ??= setTimeout(flush, RECORD_GATHER_MS);
    });
}

/**
 * Starts this process's dispatcher: it claims due notifications (FOR UPDATE SKIP LOCKED, so any
 * number of Managers can dispatch from one database), delivers at most `concurrency` at once,
 * and looks again when this process queues notifications (`s.outbox`: a transition that queued
 * some, a replay, a redelivery), when another Manager says it did (LISTEN, while a subscription is
 * enabled), when an attempt ends, and every `pollMs` (which is all there is behind a transaction
 * pooler, where LISTEN does not work). It tells the other Managers only of what queued
 * notifications, and with no enabled subscription (checked at each poll) listens to none.
 */
export function startDispatcher(s: Services, hooks: DispatcherHooks = {}): Dispatcher {
  const db = s[DATABASE];
  const settings = s.webhooks;
  const inFlight = new Set<Promise<void>>();
  const agents = receiverAgents(settings.concurrency);
  const record = attemptRecorder(s);
  let stopped = false;
  let gathering: NodeJS.Timeout | undefined;
  let telling: NodeJS.Timeout | undefined;
  let pumping = false;
  let again = false;

  const pump = async () => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (!stopped && inFlight.size < settings.concurrency) {
          const batch = await storage.claimDeliveries(db, {
            limit: settings.concurrency - inFlight.size,
            leaseMs: settings.timeoutMs + LEASE_MARGIN_MS,
          });
          hooks.claimed?.(batch.length);
          if (batch.length === 0) break;
          for (const claimed of batch) {
            const attempt: Promise<void> = deliver(s, claimed, hooks, agents, record)
              .catch((error: unknown) => hooks.failed?.(error))
              .finally(() => {
                inFlight.delete(attempt);
                // Gathered: the slots freed meanwhile are filled by one claim, not one each.
                wakeSoon();
              });
            inFlight.add(attempt);
          }
        }
      } while (again && !stopped);
    } catch (error) {
      hooks.failed?.(error);
    } finally {
      pumping = false;
    }
  };
  const wake = () => {
    if (!stopped) void pump();
  };
  const wakeSoon = () => {
    gathering ??= setTimeout(() => {
      gathering = undefined;
      wake();
    }, GATHER_MS);
  };

  const schema = db.schema ?? 'public';
  // Other Managers' wake-ups are listened for only while a subscription is enabled: an idle
  // Manager with none holds no connection (its pool's idle timeout closes the poll's).
  let listener: ReturnType<storage.Database['listen']> | undefined;
  const hearOthers = (on: boolean) => {
    if (on && !listener && !stopped) {
      listener = db.listen(CHANNEL, {
        notify: (payload) => {
          if (payload === schema) wakeSoon();
        },
        listening: () => {},
      });
    } else if (!on && listener) {
      const stopping = listener;
      listener = undefined;
      stopping.stop().catch((error: unknown) => hooks.failed?.(error));
    }
  };
  const poll = () => {
    storage.hasEnabledSubscription(db).then(
      (found) => hearOthers(found),
      (error: unknown) => hooks.failed?.(error),
    );
    wake();
  };
  const timer = setInterval(poll, settings.pollMs);
  timer.unref();
  // The other Managers hear of this process's transitions at most every NOTIFY_MS.
  const tellOthers = () => {
    telling ??= setTimeout(() => {
      telling = undefined;
      db.sql.notify(CHANNEL, schema).catch((error: unknown) => hooks.failed?.(error));
    }, NOTIFY_MS);
  };
  // Only what queued notifications (a transition, a replay): a claim after every write would be
  // a statement per gathering window for nothing while no subscription wants them.
  const stopHearing = s.outbox.listen((queued) => {
    if (stopped || !queued) return;
    wakeSoon();
    tellOthers();
  });
  poll();

  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(gathering);
      clearTimeout(telling);
      stopHearing();
      const stopping = listener;
      listener = undefined;
      await stopping?.stop().catch(() => {});
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      agents.destroy();
    },
  };
}
