import { isRefusal, parseEventName } from '@pipelinejobs/adapters';
import {
  type JobUuid,
  type MessageEventName,
  type PipelineUuid,
  parseJobUuid,
  parsePipelineUuid,
} from '@pipelinejobs/core';
import { ServiceError } from './errors.js';

/**
 * The typed values of the apps' own input (an HTTP path or query parameter, a CLI argument),
 * parsed once where it enters; the inbound messages have their adapters. Each throws a
 * ServiceError('invalid') that says what was expected; values are shown cut short.
 */

const shown = (value: unknown) => String(value).slice(0, 64);

export function jobUuidInput(value: unknown, what = 'job UUID'): JobUuid {
  const uuid = parseJobUuid(value);
  if (uuid === undefined) throw new ServiceError('invalid', `'${shown(value)}' is not a ${what} (107...)`);
  return uuid;
}

export function pipelineUuidInput(value: unknown, what = 'pipeline UUID'): PipelineUuid {
  const uuid = parsePipelineUuid(value);
  if (uuid === undefined) throw new ServiceError('invalid', `'${shown(value)}' is not a ${what} (106...)`);
  return uuid;
}

/** An event a caller names (any letter case): known, and not `create`, which only a create writes. */
export function eventInput(value: string, where = '/name'): MessageEventName {
  const event = parseEventName(value, where);
  if (isRefusal(event)) throw new ServiceError('invalid', event.detail, { errors: event.errors });
  return event;
}
