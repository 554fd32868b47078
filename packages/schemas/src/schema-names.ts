/** Every published schema, by file name (schemas/<name>.json) and by the name /schemas/:name serves. */
export const schemaNames = [
  'event',
  'agave-job-callback',
  'tapis-job-notification',
  'create-job',
  'delete-job',
  'pipeline',
  'job',
  'history-event',
  'problem',
  'message-response',
  'subscription',
  'webhook-notification',
  'deadlines',
] as const;

export type SchemaName = (typeof schemaNames)[number];

/** Base of every schema's `$id`; the ids are names, not a server the validator needs to reach. */
export const SCHEMA_BASE_URL = 'https://schemas.pipelinejobs.dev/';

export function isSchemaName(value: unknown): value is SchemaName {
  return typeof value === 'string' && (schemaNames as readonly string[]).includes(value);
}
