import { asciiUpper, eventForStatus, type MessageEventName, UNKNOWN_STATUS_EVENT } from '@pipelinejobs/core';
import type { Refusal } from './command.js';
import { parseEventName } from './event-name.js';

/** Platform statuses are stored upper-case, the way the platforms spell them. */
export function normalStatus(status: string): string {
  return asciiUpper(status.trim());
}

/**
 * The event of a status report: the URL `event` when given (checked), else the status mapped by
 * core's table (an unknown status is an update).
 */
export function eventForReport(
  urlEvent: string | undefined,
  status: string | undefined,
): MessageEventName | Refusal {
  if (urlEvent !== undefined) return parseEventName(urlEvent);
  return status === undefined ? UNKNOWN_STATUS_EVENT : eventForStatus(status);
}
