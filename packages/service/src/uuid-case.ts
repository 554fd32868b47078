/** The fields of a job document that hold typed UUIDs (one, or a list). */
const UUID_FIELDS = ['pipeline_uuid', 'child_of', 'generated_by', 'acted_on', 'acted_using'] as const;

const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

/**
 * The job document with its UUIDs in lower case: UUIDs are case-insensitive on input and lower
 * case everywhere after, so the identity of a job does not depend on how its parents were spelt.
 */
export function lowerCaseJobUuids<T extends object>(job: T): T {
  const copy: Record<string, unknown> = { ...(job as Record<string, unknown>) };
  for (const field of UUID_FIELDS) {
    const value = copy[field];
    if (value === undefined) continue;
    copy[field] = Array.isArray(value) ? value.map(lower) : lower(value);
  }
  return copy as T;
}
