import type { JobUuid, MessageEventName } from '@pipelinejobs/core';

/** What an inbound request looks like to the adapters: the parts of an Express request they read. */
export interface InboundRequest {
  /** URL parameters (Express `req.query` shape): a repeated parameter is an array. */
  query: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined when there is none. */
  body: unknown;
  /**
   * True when the body came from core's `parseJson`, which refuses nesting deeper than
   * MAX_JSON_DEPTH: then it is not walked again here.
   */
  depthChecked?: boolean;
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
}

/** Which inbound form an event came in; stored as the history entry's `source`. */
export type EventForm = 'json' | 'params' | 'agave' | 'tapis';

/** Apply one event to one job. */
export interface EventCommand {
  kind: 'event';
  form: EventForm;
  jobUuid: JobUuid;
  /** Parsed: a known event name, never a reserved one (`create`). */
  event: MessageEventName;
  /** The job or admin token as sent; checking it is the auth package's job. */
  token?: string;
  /** Stored with the history entry; token and nonce values are already redacted. */
  data?: Record<string, unknown> | null;
  /** The same key on the same job replays the first result instead of applying the event again. */
  idempotencyKey?: string;
}

/** Delete (hide) a job, or remove it with `force`. */
export interface DeleteCommand {
  kind: 'delete';
  jobUuid: JobUuid;
  force: boolean;
  token?: string;
}

/** A request the adapters cannot turn into a command: the HTTP app answers it as an RFC 9457 problem. */
export interface Refusal {
  kind: 'refusal';
  status: 400 | 415;
  title: string;
  /** What was wrong and how to fix it. Never contains a token or nonce value. */
  detail: string;
  /** Schema issues: JSON pointer and a sentence. */
  errors?: { path: string; message: string }[];
}

export type InboundCommand = EventCommand | DeleteCommand;
