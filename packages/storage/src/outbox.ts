/** SQL expressions of a transition, as a subscription's filter sees it. */
export interface FilteredTransition {
  jobUuid: string;
  pipelineUuid: string;
  /** The state after the event. */
  to: string;
  name: string;
}

/**
 * SQL text: whether the subscription `s` wants the transition whose columns are given, each
 * filter that is set matching (a subscription with none wants everything). The one definition,
 * used where a transition is written and where one is replayed. Constant text (no parameters).
 */
export function subscriptionWants(t: FilteredTransition): string {
  return `s.enabled
    and (s.filter_job_uuid is null or s.filter_job_uuid = ${t.jobUuid})
    and (s.filter_pipeline_uuid is null or s.filter_pipeline_uuid = ${t.pipelineUuid})
    and (s.filter_states is null or ${t.to} = any(s.filter_states))
    and (s.filter_events is null or ${t.name} = any(s.filter_events))`;
}

/**
 * The transactional outbox, as SQL text: the body of a data-modifying CTE that writes one
 * notification per subscription that wants each history row the CTE `history` returns (columns
 * `job_uuid`, `seq`, `name`, `to_state`; it returns rows only when it inserted them). Written by
 * the statement that writes the history, so both commit or neither does. `pipelineUuid` is the
 * job's pipeline as an SQL expression; by default read from `jobs` (a job inserted by the same
 * statement is not visible there: its CTE must be named instead). Constant text, no parameters,
 * so it fits a prepared statement: `), outbox as (${outboxInsert('inserted_event')})`. It returns
 * a row per notification written, so the statement can say whether it queued any:
 * `exists (select 1 from outbox)`.
 */
export function outboxInsert(
  history: string,
  pipelineUuid = '(select j.pipeline_uuid from jobs j where j.uuid = e.job_uuid)',
): string {
  return `
    insert into webhook_outbox (job_uuid, subscription_id, seq)
    select e.job_uuid, s.id, e.seq from ${history} e
    join webhook_subscriptions s
      on ${subscriptionWants({ jobUuid: 'e.job_uuid', pipelineUuid, to: 'e.to_state', name: 'e.name' })}
    returning 1`;
}
