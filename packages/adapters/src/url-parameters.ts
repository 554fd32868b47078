import { normalizeEventName } from '@pipelinejobs/core';
import type { Refusal } from './command.js';
import { normalStatus } from './event-status.js';
import { refusal } from './refusal.js';

/** The URL parameters the adapters read, each given at most once; an empty value counts as not given. */
export interface UrlParameters {
  uuid?: string;
  token?: string;
  /** `event`, or its synonym `name`. */
  event?: string;
  /** `status`, or its synonym `state`: a platform job status. */
  status?: string;
  /** Free text stored as `data.note`. */
  note?: string;
  /**
   * `force`: no form reads it from the URL (the delete action's is in its body); read so that the
   * delete action can refuse it rather than ignore it, and delete without force.
   */
  force?: string;
}

/** Parameters read here. Others (`x-nonce`, `session`, ...) belong to other layers and are left alone. */
const READ = ['uuid', 'token', 'event', 'name', 'status', 'state', 'note', 'force'] as const;
type ReadName = (typeof READ)[number];

/**
 * Reads the URL parameters once. A parameter given twice (an array) or as anything but text is a
 * 400 naming it; two synonyms with different values (`event` and `name`, `status` and `state`) too.
 * Values are never echoed: the token is one of them.
 */
export function readUrlParameters(query: unknown): UrlParameters | Refusal {
  const values: Partial<Record<ReadName, string>> = {};
  if (typeof query === 'object' && query !== null) {
    for (const name of READ) {
      if (!Object.hasOwn(query, name)) continue;
      const value: unknown = (query as Record<string, unknown>)[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        return refusal(
          'Repeated URL parameter',
          `The URL parameter ${name} was given ${value.length} times: give it once.`,
          [{ path: `/${name}`, message: `/${name} must be given once` }],
        );
      }
      if (typeof value !== 'string') {
        return refusal(
          'Invalid URL parameter',
          `The URL parameter ${name} must be plain text (?${name}=value), not a structured value.`,
          [{ path: `/${name}`, message: `/${name} must be a string` }],
        );
      }
      if (value !== '') values[name] = value;
    }
  }
  const event = synonym(values, 'event', 'name', normalizeEventName);
  if (typeof event === 'object') return event;
  const status = synonym(values, 'status', 'state', normalStatus);
  if (typeof status === 'object') return status;
  const parameters: UrlParameters = {};
  if (values.uuid !== undefined) parameters.uuid = values.uuid;
  if (values.token !== undefined) parameters.token = values.token;
  if (event !== undefined) parameters.event = event;
  if (status !== undefined) parameters.status = status;
  if (values.note !== undefined) parameters.note = values.note;
  if (values.force !== undefined) parameters.force = values.force;
  return parameters;
}

/** Whether the URL alone names a job and an event (or a status to map to one). */
export function urlNamesEvent(url: UrlParameters): boolean {
  return url.uuid !== undefined && (url.event !== undefined || url.status !== undefined);
}

function synonym(
  values: Partial<Record<ReadName, string>>,
  first: ReadName,
  second: ReadName,
  normal: (value: string) => string,
): string | undefined | Refusal {
  const a = values[first];
  const b = values[second];
  if (a !== undefined && b !== undefined && normal(a) !== normal(b)) {
    return refusal(
      'Conflicting URL parameters',
      `The URL parameters ${first} and ${second} mean the same thing but differ: give only ?${first}=.`,
      [{ path: `/${second}`, message: `/${second} must equal /${first} when both are given` }],
    );
  }
  return a ?? b;
}
