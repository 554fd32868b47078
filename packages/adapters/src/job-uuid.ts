import { type JobUuid, parseJobUuid } from '@pipelinejobs/core';
import type { Refusal } from './command.js';
import { refusal } from './refusal.js';

/** The `uuid` URL parameter, required by the forms that take the job from the URL. */
export function urlJobUuid(uuid: string | undefined, form: string): JobUuid | Refusal {
  if (uuid === undefined) {
    return refusal(
      'Missing job UUID',
      `${form} names no job: add the job's UUID and token to the URL, ?uuid=<107...>&token=<job token>.`,
      [{ path: '/uuid', message: '/uuid is required' }],
    );
  }
  const parsed = parseJobUuid(uuid);
  if (parsed === undefined) {
    return refusal(
      'Invalid job UUID',
      "The URL parameter uuid must be a job UUID (107...): send ?uuid=<the job's UUID>, as POST /jobs returned it.",
      [{ path: '/uuid', message: '/uuid must be a job UUID (107...)' }],
    );
  }
  return parsed;
}

/**
 * A job UUID from a body the form's schema already checked: parsed (lower case) all the same, so
 * there is one way a job UUID is made.
 */
export function bodyJobUuid(uuid: string): JobUuid | Refusal {
  return (
    parseJobUuid(uuid) ??
    refusal('Invalid job UUID', 'The field uuid must be a job UUID (107...).', [
      { path: '/uuid', message: '/uuid must be a job UUID (107...)' },
    ])
  );
}
