import type { EventName, State } from '@pipelinejobs/core';
import type { JsonObject } from './json-object.js';

/** Which inbound form delivered an event (schemas: history-event `source`). */
export const EVENT_SOURCES = ['json', 'params', 'agave', 'tapis', 'cli', 'create', 'deadline'] as const;

export type EventSource = (typeof EVENT_SOURCES)[number];

/** Who did something (schemas: `principal`): the principal's kind and id, never a credential. */
export interface ActorDocument {
  kind: string;
  id: string;
}

/** schemas/history-event.json: one entry of GET /jobs/:uuid/history. */
export interface HistoryEvent {
  /** Event UUID (108...). */
  uuid: string;
  /** From 1 per job. */
  seq: number;
  name: EventName;
  from: State;
  to: State;
  data: JsonObject | null;
  source: EventSource;
  /** Who sent it; null for entries recorded before senders were kept. */
  principal: ActorDocument | null;
  date: string;
}
