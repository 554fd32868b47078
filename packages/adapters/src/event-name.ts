import {
  asciiLower,
  isEventName,
  isReservedEvent,
  type MessageEventName,
  normalizeEventName,
} from '@pipelinejobs/core';
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

/** Whether text a sender wrote names a reserved event (`create`), in any letter case or spacing. */
export function namesReservedEvent(text: string): boolean {
  const normal = normalizeEventName(text);
  return isEventName(normal) && isReservedEvent(normal);
}

/**
 * An event name as a message may carry it, checked once: known (any letter case) and not
 * reserved. `where` is where it was sent (`/event` for the URL parameter, `/name` for a body
 * field). The value is not echoed back (a token pasted into the wrong field must not reach a
 * response or a log).
 */
export function parseEventName(name: string, where = '/event'): MessageEventName | Refusal {
  if (namesReservedEvent(name)) return reservedEventRefusal(where);
  const normal = normalizeEventName(name);
  // A body field is taken as the event schema takes it: any letter case, but no spaces around.
  const spaced = where !== '/event' && normal !== asciiLower(name);
  if (!isEventName(normal) || spaced) {
    const how = where === '/event' ? '?event=' : '{"name": ...}';
    return refusal(
      'Unknown event',
      `The ${where === '/event' ? 'URL parameter event' : `field ${where.slice(1)}`} is not a known event: send ${how}<one of ${MESSAGE_EVENTS_TEXT}> (any letter case).`,
      [{ path: where, message: `${where} must be one of: ${MESSAGE_EVENTS_TEXT}` }],
    );
  }
  // Not reserved (checked above), so a message event.
  return normal as MessageEventName;
}
