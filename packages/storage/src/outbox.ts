import type postgres from 'postgres';

/** A value or column, as SQL: what a subscription's filter is compared with. */
type Term = postgres.PendingQuery<postgres.Row[]> | string;

/** The transition a notification describes, as its filter sees it. */
export interface FilteredTransition {
  jobUuid: Term;
  pipelineUuid: Term;
  /** The state after the event. */
  to: Term;
  name: Term;
}

/**
 * Whether the subscription `s` wants the transition: each filter that is set must match (a
 * subscription with none wants everything). The one definition, used when a transition is
 * written and when one is replayed.
 */
export function subscriptionWants(sql: postgres.ISql, t: FilteredTransition) {
  return sql`s.enabled
    and (s.filter_job_uuid is null or s.filter_job_uuid = ${t.jobUuid})
    and (s.filter_pipeline_uuid is null or s.filter_pipeline_uuid = ${t.pipelineUuid})
    and (s.filter_states is null or ${t.to} = any(s.filter_states))
    and (s.filter_events is null or ${t.name} = any(s.filter_events))`;
}

/** The history entry a statement is writing, for its notifications. */
export interface WrittenTransition {
  jobUuid: string;
  seq: number;
  name: string;
  to: string;
  /** Given when the job is inserted by the same statement (its row is not visible yet). */
  pipelineUuid?: string;
}

/**
 * The transactional outbox: the body of a data-modifying CTE that writes one notification per
 * subscription that wants the transition. It must follow, in the same statement, a CTE named
 * `event` that returns a row only when the history entry was inserted: the notifications are
 * written exactly when the entry is, and rolled back with it.
 */
export function outboxInsert(sql: postgres.ISql, t: WrittenTransition) {
  const pipelineUuid = t.pipelineUuid ?? sql`(select pipeline_uuid from jobs where uuid = ${t.jobUuid})`;
  return sql`
    insert into webhook_outbox (job_uuid, subscription_id, seq)
    select ${t.jobUuid}, s.id, ${t.seq}
    from webhook_subscriptions s
    where exists (select 1 from event)
      and ${subscriptionWants(sql, { jobUuid: t.jobUuid, pipelineUuid, to: t.to, name: t.name })}`;
}
