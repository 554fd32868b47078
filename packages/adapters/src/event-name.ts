import { type EventName, isEventName, isReservedEvent, normalizeEventName } from '@pipelinejobs/core';
import { MESSAGE_EVENT_NAMES } from '@pipelinejobs/schemas';
import type { Refusal } from './command.js';
import { refusal } from './refusal.js';

/** "run, update, ..., ready": the events a message may carry, from core's table. */
export const MESSAGE_EVENTS_TEXT = MESSAGE_EVENT_NAMES.join(', ');

/** The refusal for `create` sent as a message; `where` says where it was sent ("/name", "/event"). */
export function reservedEventRefusal(where: string): Refusal {
  return refusal(
    'Reserved event',
    `The event create is written only when a job is created: create jobs with POST /jobs. Messages accept: ${MESSAGE_EVENTS_TEXT}.`,
    [{ path: where, message: `${where} must not be 'create', which only POST /jobs writes` }],
  );
}

/**
 * The `event` (or `name`) URL parameter, checked: known (any letter case) and not reserved. The
 * value is not echoed back (a token pasted into the wrong parameter must not reach a response or a log).
 */
export function resolveUrlEvent(name: string): EventName | Refusal {
  if (isReservedEvent(name)) return reservedEventRefusal('/event');
  const normal = normalizeEventName(name);
  if (!isEventName(normal)) {
    return refusal(
      'Unknown event',
      `The URL parameter event is not a known event: send ?event=<one of ${MESSAGE_EVENTS_TEXT}> (any letter case).`,
      [{ path: '/event', message: `/event must be one of: ${MESSAGE_EVENTS_TEXT}` }],
    );
  }
  return normal;
}
