import type { EventName, JobUuid, State } from '@pipelinejobs/core';

/** schemas/message-response.json: the 200 body of POST /messages for an accepted event. */
export interface MessageResponse {
  job: { uuid: JobUuid; state: State; last_event: EventName; updated: string };
  event: { uuid: string; seq: number; name: EventName; from: State; to: State; date: string };
}
