import { type Actor, iso } from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';

/** Which transitions a subscription wants; an absent field matches every transition. */
export interface SubscriptionFilter {
  pipeline_uuid?: string;
  job_uuid?: string;
  /** The state after the event. */
  states?: string[];
  events?: string[];
}

/** A subscription as listed: never its secret. */
export interface SubscriptionRecord {
  id: string;
  url: string;
  description: string;
  filter: SubscriptionFilter;
  enabled: boolean;
  /** Why it is disabled; null while enabled. */
  disabled_reason: string | null;
  /** Since when every attempt has failed; null when the last one succeeded. */
  failing_since: string | null;
  /** Until when the secret before the last rotation is still signed with; null: none. */
  previous_secret_until: string | null;
  created: string;
  updated: string;
  created_by: Actor;
}

/** A subscription's signing secrets, sealed (the caller holds the key). */
export interface SealedSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: string | null;
}

interface SubscriptionRow {
  id: string;
  url: string;
  description: string;
  filter_pipeline_uuid: string | null;
  filter_job_uuid: string | null;
  filter_states: string[] | null;
  filter_events: string[] | null;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  previous_secret_until: string | null;
  created_at: string;
  updated_at: string;
  created_by_kind: string;
  created_by_id: string;
}

const COLUMNS = `id, url, description, filter_pipeline_uuid, filter_job_uuid, filter_states, filter_events,
  enabled, disabled_reason, failing_since, previous_secret_until, created_at, updated_at, created_by_kind,
  created_by_id`;

const isoOrNull = (value: string | null) => (value === null ? null : iso(value));

function subscriptionRecord(row: SubscriptionRow): SubscriptionRecord {
  const filter: SubscriptionFilter = {};
  if (row.filter_pipeline_uuid !== null) filter.pipeline_uuid = row.filter_pipeline_uuid;
  if (row.filter_job_uuid !== null) filter.job_uuid = row.filter_job_uuid;
  if (row.filter_states !== null) filter.states = row.filter_states;
  if (row.filter_events !== null) filter.events = row.filter_events;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    filter,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    failing_since: isoOrNull(row.failing_since),
    previous_secret_until: isoOrNull(row.previous_secret_until),
    created: iso(row.created_at),
    updated: iso(row.updated_at),
    created_by: { kind: row.created_by_kind, id: row.created_by_id },
  };
}

const notFound = (id: string) =>
  new StorageError('not_found', `No subscription ${id} exists; list them with GET /subscriptions`, { id });

export async function insertSubscription(
  db: Database,
  input: { url: string; description: string; filter: SubscriptionFilter; sealedSecret: string },
  actor: Actor,
): Promise<SubscriptionRecord> {
  const { sql } = db;
  const { filter } = input;
  const [row] = await translated(
    () => sql<SubscriptionRow[]>`
      insert into webhook_subscriptions (url, description, filter_pipeline_uuid, filter_job_uuid,
        filter_states, filter_events, secret, created_by_kind, created_by_id)
      values (${input.url}, ${input.description}, ${filter.pipeline_uuid ?? null}, ${filter.job_uuid ?? null},
        ${filter.states ?? null}, ${filter.events ?? null}, ${input.sealedSecret}, ${actor.kind}, ${actor.id})
      returning ${sql.unsafe(COLUMNS)}`,
  );
  if (!row) throw new StorageError('internal', 'The subscription was not written');
  return subscriptionRecord(row);
}

export async function selectSubscriptions(db: Database): Promise<SubscriptionRecord[]> {
  const rows = await translated(
    () => db.sql<SubscriptionRow[]>`
      select ${db.sql.unsafe(COLUMNS)} from webhook_subscriptions order by created_at, id`,
  );
  return rows.map(subscriptionRecord);
}

export async function selectSubscription(db: Database, id: string): Promise<SubscriptionRecord> {
  const [row] = await translated(
    () => db.sql<SubscriptionRow[]>`
      select ${db.sql.unsafe(COLUMNS)} from webhook_subscriptions where id = ${id}`,
  );
  if (!row) throw notFound(id);
  return subscriptionRecord(row);
}

/** What a PATCH may change; an absent field stays as it is. */
export interface SubscriptionChange {
  url?: string;
  description?: string;
  filter?: SubscriptionFilter;
  /** true clears the reason and the failing span; false records `disabledReason`. */
  enabled?: boolean;
  disabledReason?: string;
  /** A new secret; the current one stays valid (and signed with) until `previousUntil`. */
  rotate?: { sealedSecret: string; previousUntil: Date };
}

export async function updateSubscription(
  db: Database,
  id: string,
  change: SubscriptionChange,
): Promise<SubscriptionRecord> {
  const { sql } = db;
  const f = change.filter;
  const [row] = await translated(
    () => sql<SubscriptionRow[]>`
      update webhook_subscriptions set
        url = coalesce(${change.url ?? null}, url),
        description = coalesce(${change.description ?? null}, description),
        filter_pipeline_uuid = ${f ? sql`${f.pipeline_uuid ?? null}` : sql`filter_pipeline_uuid`},
        filter_job_uuid = ${f ? sql`${f.job_uuid ?? null}` : sql`filter_job_uuid`},
        filter_states = ${f ? sql`${f.states ?? null}::text[]` : sql`filter_states`},
        filter_events = ${f ? sql`${f.events ?? null}::text[]` : sql`filter_events`},
        enabled = coalesce(${change.enabled ?? null}::boolean, enabled),
        disabled_reason = case ${change.enabled ?? null}::boolean when true then null
          when false then ${change.disabledReason ?? 'disabled'} else disabled_reason end,
        failing_since = case when ${change.enabled ?? null}::boolean then null else failing_since end,
        ${
          change.rotate
            ? sql`previous_secret = secret, secret = ${change.rotate.sealedSecret},
                previous_secret_until = ${change.rotate.previousUntil.toISOString()}::timestamptz,`
            : sql``
        }
        updated_at = date_trunc('milliseconds', now())
      where id = ${id}
      returning ${sql.unsafe(COLUMNS)}`,
  );
  if (!row) throw notFound(id);
  return subscriptionRecord(row);
}

/** Deletes a subscription with its pending notifications and its delivery log. */
export async function deleteSubscription(db: Database, id: string): Promise<void> {
  const rows = await translated(
    () => db.sql`
      with deleted as (delete from webhook_subscriptions where id = ${id} returning id),
      outbox as (delete from webhook_outbox where subscription_id in (select id from deleted)),
      log as (delete from webhook_attempts where subscription_id in (select id from deleted))
      select id from deleted`,
  );
  if (rows.length === 0) throw notFound(id);
}

/** Whether any subscription is enabled: with none, a dispatcher need not look for work. */
export async function hasEnabledSubscription(db: Database): Promise<boolean> {
  const [row] = await translated(
    () =>
      db.sql<
        { found: boolean }[]
      >`select exists (select 1 from webhook_subscriptions where enabled) as found`,
  );
  return row?.found ?? false;
}
