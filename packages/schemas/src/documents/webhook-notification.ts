import type { EventName, JobUuid, PipelineUuid, State } from '@pipelinejobs/core';

/** schemas/webhook-notification.json: what a subscriber receives for one transition. */
export interface WebhookNotification {
  type: 'job.transition' | 'job.overdue';
  job_uuid: JobUuid;
  event_name: EventName;
  job_state: State;
  data: { last_event: EventName };
  event_uuid: string;
  seq: number;
  from: State;
  to: State;
  time: string;
  principal_kind: string | null;
  pipeline_uuid: PipelineUuid;
  /** With type job.overdue: the state, its budget, when it ran out, when the job entered the state. */
  overdue?: { state: State; budget: string; deadline: string; since: string };
}
