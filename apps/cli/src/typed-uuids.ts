import { isTypedUuid, type TypedUuidType } from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';

const PREFIX = { pipeline: '106', pipelinejob: '107' } as const;

/**
 * Checks a UUID argument before it reaches the database, so a typo is "not a job UUID" (exit 3)
 * rather than a database error; returns it lower-cased as stored.
 */
export function typedUuidArgument(value: string, type: keyof typeof PREFIX & TypedUuidType): string {
  // Checked as `unknown`: the predicate would otherwise narrow `value` to never below.
  const candidate: unknown = value;
  if (!isTypedUuid(candidate, type)) {
    const what = type === 'pipeline' ? 'pipeline' : 'job';
    throw new ServiceError('invalid', `'${value.slice(0, 64)}' is not a ${what} UUID (${PREFIX[type]}...)`);
  }
  return value.toLowerCase();
}

export const jobUuidArgument = (value: string) => typedUuidArgument(value, 'pipelinejob');
export const pipelineUuidArgument = (value: string) => typedUuidArgument(value, 'pipeline');
