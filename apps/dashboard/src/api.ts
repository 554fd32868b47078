import type { PipelineJobsClient } from '@pipelinejobs/client';

/** GET /jobs/counts: how many jobs are in each state under the list's filters (its state aside). */
export interface JobCounts {
  readonly total: number;
  readonly states: Readonly<Record<string, number>>;
}

export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly failing_since: string | null;
  readonly filter: Readonly<Record<string, unknown>>;
  readonly created: string;
  readonly updated: string;
}

/** One attempt to deliver a notification, newest first. */
export interface Delivery {
  readonly id: number;
  readonly job_uuid: string;
  readonly seq: number;
  readonly attempted: string;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly outcome: string;
}

/** Routes the client has no method for yet, through its transport (retries, credentials). */
export async function jobCounts(
  client: PipelineJobsClient,
  filters: { pipeline_uuid?: string | undefined; updated_since?: string | undefined; overdue?: true },
): Promise<JobCounts> {
  const answer = await client.transport.call<JobCounts>({
    method: 'GET',
    path: '/jobs/counts',
    query: filters,
    idempotent: true,
  });
  return answer.body;
}

export async function subscriptions(client: PipelineJobsClient): Promise<Subscription[]> {
  const answer = await client.transport.call<{ subscriptions: Subscription[] }>({
    method: 'GET',
    path: '/subscriptions',
    idempotent: true,
  });
  return answer.body.subscriptions;
}

export async function recentDeliveries(client: PipelineJobsClient, id: string): Promise<Delivery[]> {
  const answer = await client.transport.call<{ deliveries: Delivery[] }>({
    method: 'GET',
    path: `/subscriptions/${encodeURIComponent(id)}/deliveries`,
    query: { limit: 10 },
    idempotent: true,
  });
  return answer.body.deliveries;
}
