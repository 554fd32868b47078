import { iso } from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';
import { subscriptionWants } from './outbox.js';
import type { SealedSecrets } from './subscriptions.js';

/** A notification claimed by this dispatcher until `lease`: what to send, where, signed with what. */
export interface ClaimedDelivery {
  jobUuid: string;
  subscriptionId: string;
  seq: number;
  /** transition: the history entry `seq`; overdue: the job outlived a notify-only budget. */
  kind: 'transition' | 'overdue';
  /** For an overdue notification: the state, its budget, when it ran out, when the job entered it. */
  overdue: { state: string; budget: string; deadline: string; since: string } | null;
  /** Attempts made before this one. */
  attempts: number;
  /** The claim's end, as stored: the attempt is recorded only while it is still this process's. */
  lease: string;
  url: string;
  secrets: SealedSecrets;
  event: {
    uuid: string;
    name: string;
    from: string;
    to: string;
    date: string;
    principalKind: string | null;
    pipelineUuid: string;
  };
}

interface ClaimRow {
  job_uuid: string;
  subscription_id: string;
  seq: number;
  kind: 'transition' | 'overdue';
  overdue: ClaimedDelivery['overdue'];
  attempts: number;
  leased_until: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: string | null;
  uuid: string;
  name: string;
  from_state: string;
  to_state: string;
  created_at: string;
  principal_kind: string | null;
  pipeline_uuid: string;
}

/**
 * Claims up to `limit` notifications that are due, for `leaseMs`, skipping rows another
 * dispatcher holds (FOR UPDATE SKIP LOCKED, then the lease). A notification is due only when no
 * earlier one of the same job and subscription is still pending, so a job's notifications go out
 * in seq order, one at a time; a batch holds at most one per job and subscription. Disabled
 * subscriptions' notifications wait.
 */
export async function claimDeliveries(
  db: Database,
  options: { limit: number; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  const { sql } = db;
  const rows = await translated(
    () => sql<ClaimRow[]>`
      with due as (
        select o.job_uuid, o.subscription_id, o.seq, o.kind from webhook_outbox o
        join webhook_subscriptions s on s.id = o.subscription_id and s.enabled
        where o.status = 'pending' and o.next_attempt_at <= now()
          and (o.leased_until is null or o.leased_until < now())
          and not exists (
            select 1 from webhook_outbox e
            where e.job_uuid = o.job_uuid and e.subscription_id = o.subscription_id
              and (e.seq < o.seq or (e.seq = o.seq and e.kind = 'transition' and o.kind <> 'transition'))
              and e.status = 'pending')
        order by o.next_attempt_at
        limit ${options.limit}
        for update of o skip locked
      ), claimed as (
        update webhook_outbox o
        set leased_until = date_trunc('milliseconds', now()) + ${options.leaseMs} * interval '1 millisecond'
        from due
        where o.job_uuid = due.job_uuid and o.subscription_id = due.subscription_id and o.seq = due.seq
          and o.kind = due.kind
        returning o.job_uuid, o.subscription_id, o.seq, o.kind, o.overdue, o.attempts, o.leased_until
      )
      select c.*, s.url, s.secret, s.previous_secret, s.previous_secret_until,
        e.uuid, e.name, e.from_state, e.to_state, e.created_at, e.principal_kind, j.pipeline_uuid
      from claimed c
      join webhook_subscriptions s on s.id = c.subscription_id
      join job_events e on e.job_uuid = c.job_uuid and e.seq = c.seq
      join jobs j on j.uuid = c.job_uuid`,
  );
  return rows.map((row) => ({
    jobUuid: row.job_uuid,
    subscriptionId: row.subscription_id,
    seq: row.seq,
    kind: row.kind,
    overdue: row.overdue,
    attempts: row.attempts,
    lease: row.leased_until,
    url: row.url,
    secrets: {
      secret: row.secret,
      previousSecret: row.previous_secret,
      previousSecretUntil: row.previous_secret_until === null ? null : iso(row.previous_secret_until),
    },
    event: {
      uuid: row.uuid,
      name: row.name,
      from: row.from_state,
      to: row.to_state,
      date: iso(row.created_at),
      principalKind: row.principal_kind,
      pipelineUuid: row.pipeline_uuid,
    },
  }));
}

/**
 * The webhook-id of a notification: its history entry's uuid; an overdue notification's is that
 * of the job's latest entry when it was found overdue, followed by `.overdue`.
 */
export function webhookId(claimed: ClaimedDelivery): string {
  return claimed.kind === 'overdue' ? `${claimed.event.uuid}.overdue` : claimed.event.uuid;
}

/** What one attempt got, and what becomes of the notification. */
export interface AttemptResult {
  /** The receiver's status; null when none came. */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** delivered; retry at `nextAttemptAt`; failed: given up. */
  outcome: 'delivered' | 'retry' | 'failed';
  nextAttemptAt?: Date;
  /** The receiver said the endpoint is gone (410): the subscription is disabled. */
  gone: boolean;
}

/**
 * Records attempts in the delivery log and, for each notification whose claim is still this
 * dispatcher's, what becomes of it; keeps each subscription's failing span (a success ends it),
 * and disables a subscription on a 410 or once it has failed for longer than `disableAfterMs`.
 * One statement for the whole batch; a success on a subscription that was not failing writes
 * nothing to it (no wait for its row behind the other deliveries in flight).
 */
export async function recordAttempts(
  db: Database,
  attempts: readonly { claimed: ClaimedDelivery; result: AttemptResult }[],
  options: { disableAfterMs: number },
): Promise<void> {
  if (attempts.length === 0) return;
  const { sql } = db;
  const column = <T>(pick: (a: (typeof attempts)[number]) => T) => attempts.map(pick);
  const disableAfter = sql`now() - ${options.disableAfterMs} * interval '1 millisecond'`;
  await translated(
    () => sql`
      with r as (
        -- Timestamps and flags travel as text (postgres.js sends neither kind of array as such).
        select job_uuid, subscription_id, seq, kind, lease::timestamptz as lease, webhook_id, status_code, error,
          duration_ms, outcome, next_attempt_at::timestamptz as next_attempt_at, gone::boolean as gone
        from unnest(
          ${column((a) => a.claimed.jobUuid)}::text[], ${column((a) => a.claimed.subscriptionId)}::uuid[],
          ${column((a) => a.claimed.seq)}::int[], ${column((a) => a.claimed.kind)}::text[],
          ${column((a) => a.claimed.lease)}::text[],
          ${column((a) => webhookId(a.claimed))}::text[], ${column((a) => a.result.statusCode)}::int[],
          ${column((a) => a.result.error)}::text[], ${column((a) => Math.round(a.result.durationMs))}::int[],
          ${column((a) => a.result.outcome)}::text[],
          ${column((a) => a.result.nextAttemptAt?.toISOString() ?? null)}::text[],
          ${column((a) => String(a.result.gone))}::text[]
        ) as t(job_uuid, subscription_id, seq, kind, lease, webhook_id, status_code, error, duration_ms, outcome,
          next_attempt_at, gone)
      ), attempt as (
        insert into webhook_attempts (job_uuid, subscription_id, seq, webhook_id, status_code, error,
          duration_ms, outcome)
        select job_uuid, subscription_id, seq, webhook_id, status_code, error, duration_ms, outcome from r
        -- A subscription deleted while its notification was in flight takes its log with it.
        where exists (select 1 from webhook_subscriptions s where s.id = r.subscription_id)
      ), notification as (
        update webhook_outbox o
        set status = case r.outcome when 'retry' then 'pending' else r.outcome end, attempts = o.attempts + 1,
          leased_until = null, next_attempt_at = coalesce(r.next_attempt_at, o.next_attempt_at),
          done_at = case when r.outcome = 'retry' then null else date_trunc('milliseconds', now()) end
        from r
        where o.job_uuid = r.job_uuid and o.subscription_id = r.subscription_id and o.seq = r.seq
          and o.kind = r.kind and o.leased_until = r.lease
      ), outcomes as (
        select subscription_id, bool_or(outcome = 'delivered') as delivered, bool_or(gone) as gone
        from r group by subscription_id
      ), failing as (
        -- Locked in id order, so that two dispatchers' batches never wait for each other in a cycle.
        select s.id, o.gone,
          case when o.delivered then null else coalesce(s.failing_since, date_trunc('milliseconds', now())) end as since
        from webhook_subscriptions s join outcomes o on o.subscription_id = s.id
        where not o.delivered or o.gone or s.failing_since is not null
        order by s.id
        for update of s
      )
      update webhook_subscriptions s set failing_since = failing.since,
        enabled = s.enabled and not failing.gone and not coalesce(failing.since < ${disableAfter}, false),
        disabled_reason = case
          when not s.enabled then s.disabled_reason
          when failing.gone then 'the receiver answered 410 Gone'
          when failing.since < ${disableAfter}
            then 'every delivery failed since ' || to_char(failing.since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
          else null end
      from failing where s.id = failing.id`,
  );
}

/** One attempt as the delivery log shows it. */
export interface DeliveryAttempt {
  id: number;
  webhook_id: string;
  job_uuid: string;
  seq: number;
  attempted: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: string;
}

/** A subscription's attempts, newest first, `limit` at most, before the attempt `before`. */
export async function selectAttempts(
  db: Database,
  subscriptionId: string,
  options: { limit: number; before?: number | undefined },
): Promise<DeliveryAttempt[]> {
  const { sql } = db;
  const rows = await translated(
    () => sql<(Omit<DeliveryAttempt, 'id' | 'attempted'> & { id: string; attempted_at: string })[]>`
      select id, webhook_id, job_uuid, seq, attempted_at, status_code, error, duration_ms, outcome
      from webhook_attempts
      where subscription_id = ${subscriptionId}
        ${options.before === undefined ? sql`` : sql`and id < ${options.before}`}
      order by id desc limit ${options.limit}`,
  );
  return rows.map(({ attempted_at, id, ...row }) => ({
    ...row,
    id: Number(id),
    attempted: iso(attempted_at),
  }));
}

/**
 * Delivers again, from now, every notification of the history entries written since `since`
 * that the subscription wants (its filter as it is now); entries still pending stay as they are.
 * How many were queued.
 */
export async function replayNotifications(
  db: Database,
  subscriptionId: string,
  since: Date,
): Promise<number> {
  const { sql } = db;
  const rows = await translated(
    () => sql`
      insert into webhook_outbox (job_uuid, subscription_id, seq)
      select e.job_uuid, s.id, e.seq
      from webhook_subscriptions s
      join job_events e on e.created_at >= ${since.toISOString()}::timestamptz
      join jobs j on j.uuid = e.job_uuid
      where s.id = ${subscriptionId}
        and ${sql.unsafe(subscriptionWants({ jobUuid: 'e.job_uuid', pipelineUuid: 'j.pipeline_uuid', to: 'e.to_state', name: 'e.name' }))}
      on conflict (job_uuid, subscription_id, seq, kind) do update
        set status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, leased_until = null,
          done_at = null
        where webhook_outbox.status <> 'pending'
      returning 1`,
  );
  return rows.length;
}

/** Delivers one history entry to the subscription again (whatever its filter says). */
export async function redeliverNotification(
  db: Database,
  subscriptionId: string,
  notification: { jobUuid: string; seq: number },
): Promise<void> {
  const { sql } = db;
  const rows = await translated(
    () => sql`
      insert into webhook_outbox (job_uuid, subscription_id, seq)
      select e.job_uuid, s.id, e.seq from webhook_subscriptions s
      join job_events e on e.job_uuid = ${notification.jobUuid} and e.seq = ${notification.seq}
      where s.id = ${subscriptionId}
      on conflict (job_uuid, subscription_id, seq, kind) do update
        set status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, leased_until = null,
          done_at = null
      returning 1`,
  );
  if (rows.length === 0) {
    throw new StorageError(
      'not_found',
      `No history entry ${notification.seq} of job ${notification.jobUuid} exists for subscription ${subscriptionId} to deliver`,
      { job_uuid: notification.jobUuid, seq: notification.seq },
    );
  }
}

/** Seconds since the oldest pending notification was written (0 when none is pending). */
export async function oldestPendingSeconds(db: Database): Promise<number> {
  const [row] = await translated(
    () => db.sql<{ lag: number | null }[]>`
      select extract(epoch from now() - min(o.created_at))::float8 as lag from webhook_outbox o
      join webhook_subscriptions s on s.id = o.subscription_id and s.enabled
      where o.status = 'pending'`,
  );
  return row?.lag ?? 0;
}
