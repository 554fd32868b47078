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
        select o.job_uuid, o.subscription_id, o.seq from webhook_outbox o
        join webhook_subscriptions s on s.id = o.subscription_id and s.enabled
        where o.status = 'pending' and o.next_attempt_at <= now()
          and (o.leased_until is null or o.leased_until < now())
          and not exists (
            select 1 from webhook_outbox e
            where e.job_uuid = o.job_uuid and e.subscription_id = o.subscription_id
              and e.seq < o.seq and e.status = 'pending')
        order by o.next_attempt_at
        limit ${options.limit}
        for update of o skip locked
      ), claimed as (
        update webhook_outbox o
        set leased_until = date_trunc('milliseconds', now()) + ${options.leaseMs} * interval '1 millisecond'
        from due
        where o.job_uuid = due.job_uuid and o.subscription_id = due.subscription_id and o.seq = due.seq
        returning o.job_uuid, o.subscription_id, o.seq, o.attempts, o.leased_until
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
  /** A subscription failing for longer than this is disabled. */
  disableAfterMs: number;
}

/**
 * Records an attempt in the delivery log and, while the claim is still this dispatcher's, what
 * becomes of the notification; keeps the subscription's failing span, and disables it on a 410
 * or once it has failed for longer than `disableAfterMs`. One statement.
 */
export async function recordAttempt(
  db: Database,
  claimed: ClaimedDelivery,
  result: AttemptResult,
): Promise<void> {
  const { sql } = db;
  const delivered = result.outcome === 'delivered';
  const status = result.outcome === 'retry' ? 'pending' : result.outcome;
  await translated(
    () => sql`
      with attempt as (
        insert into webhook_attempts (job_uuid, subscription_id, seq, webhook_id, status_code, error,
          duration_ms, outcome)
        values (${claimed.jobUuid}, ${claimed.subscriptionId}, ${claimed.seq}, ${claimed.event.uuid},
          ${result.statusCode}, ${result.error}, ${Math.round(result.durationMs)}, ${result.outcome})
      ), notification as (
        update webhook_outbox set status = ${status}, attempts = attempts + 1, leased_until = null,
          next_attempt_at = coalesce(${result.nextAttemptAt?.toISOString() ?? null}::timestamptz, next_attempt_at),
          done_at = case when ${status} = 'pending' then null else date_trunc('milliseconds', now()) end
        where job_uuid = ${claimed.jobUuid} and subscription_id = ${claimed.subscriptionId}
          and seq = ${claimed.seq} and leased_until = ${claimed.lease}::timestamptz
      ), failing as (
        select id, case when ${delivered} then null else coalesce(failing_since, date_trunc('milliseconds', now())) end
          as since
        from webhook_subscriptions where id = ${claimed.subscriptionId}
          -- A success on a subscription that was not failing changes nothing: no write, and no
          -- wait for its row lock behind the other deliveries in flight.
          and (not ${delivered} or failing_since is not null)
      )
      update webhook_subscriptions s set failing_since = failing.since,
        enabled = s.enabled and not ${result.gone} and not coalesce(
          failing.since < now() - ${result.disableAfterMs} * interval '1 millisecond', false),
        disabled_reason = case
          when not s.enabled then s.disabled_reason
          when ${result.gone} then 'the receiver answered 410 Gone'
          when failing.since < now() - ${result.disableAfterMs} * interval '1 millisecond'
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
        and ${subscriptionWants(sql, { jobUuid: sql`e.job_uuid`, pipelineUuid: sql`j.pipeline_uuid`, to: sql`e.to_state`, name: sql`e.name` })}
      on conflict (job_uuid, subscription_id, seq) do update
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
      on conflict (job_uuid, subscription_id, seq) do update
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
