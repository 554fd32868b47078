import type { EventName, State } from '@pipelinejobs/core';

/** schemas/problem.json: an RFC 9457 error body. Extension members beyond these are allowed. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Schema issues: JSON pointer and a message for a person. */
  errors?: { path: string; message: string }[];
  /** On a 409: the job's current state and the events it accepts. */
  state?: State;
  allowed?: EventName[];
  request_id?: string;
  [key: string]: unknown;
}
