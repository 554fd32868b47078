import type { EventName, State } from '@pipelinejobs/core';

/** schemas/subscription.json: the body of POST /subscriptions and PATCH /subscriptions/:id. */
export interface SubscriptionRequest {
  url?: string;
  filter?: {
    pipeline_uuid?: string;
    job_uuid?: string;
    states?: State[];
    events?: (EventName | 'overdue')[];
  };
  description?: string;
  enabled?: boolean;
  rotate_secret?: boolean;
}
