import { messagesByPattern, validators } from './compiled-validators.js';
import { readableIssues, type SchemaIssue } from './readable-issues.js';
import type { SchemaDocuments } from './schema-documents.js';
import type { SchemaName } from './schema-names.js';
import { SchemasError } from './schemas-error.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: SchemaIssue[] };

function validatorFor(name: SchemaName) {
  const validator = validators.get(name);
  // Only reachable from untyped callers: TypeScript callers cannot name an unknown schema.
  if (validator === undefined) throw new SchemasError('unknown_schema', `Unknown schema '${String(name)}'`);
  return validator;
}

/**
 * Checks a value against a published schema. Never throws for a bad value: the issues say what is
 * wrong, one per offending value. The value is returned as given (no defaults filled in, nothing
 * coerced or removed); event names keep the sender's letter case.
 */
export function validate<N extends SchemaName>(
  name: N,
  value: unknown,
): ValidationResult<SchemaDocuments[N]> {
  const check = validatorFor(name);
  if (check(value)) return { ok: true, value: value as SchemaDocuments[N] };
  return { ok: false, issues: readableIssues(check.errors ?? [], messagesByPattern) };
}

/** Whether a value conforms, without building issues: for telling inbound forms apart. */
export function matches<N extends SchemaName>(name: N, value: unknown): value is SchemaDocuments[N] {
  return validatorFor(name)(value);
}

export const validateEvent = (value: unknown) => validate('event', value);
export const validateAgaveJobCallback = (value: unknown) => validate('agave-job-callback', value);
export const validateTapisJobNotification = (value: unknown) => validate('tapis-job-notification', value);
export const validateCreateJob = (value: unknown) => validate('create-job', value);
export const validateDeleteJob = (value: unknown) => validate('delete-job', value);
export const validatePipeline = (value: unknown) => validate('pipeline', value);
export const validateProblem = (value: unknown) => validate('problem', value);
export const validateMessageResponse = (value: unknown) => validate('message-response', value);
export const validateSubscription = (value: unknown) => validate('subscription', value);
export const validateDeadlines = (value: unknown) => validate('deadlines', value);
