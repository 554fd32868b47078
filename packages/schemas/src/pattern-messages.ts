import { EVENT_NAMES, normalizeEventName, RESERVED_EVENTS } from '@pipelinejobs/core';
import type { JsonSchemaDocument } from './json-schema-document.js';
import type { SchemaName } from './schema-names.js';

/** The events a message may carry: all but the reserved ones (`create` is written only by POST /jobs). */
export const MESSAGE_EVENT_NAMES: readonly string[] = EVENT_NAMES.filter(
  (name) => !RESERVED_EVENTS.includes(name),
);

const messageEvents = MESSAGE_EVENT_NAMES.join(', ');

/**
 * What a value failing a `$defs` pattern should have been, by `$defs` name. A regular expression
 * means nothing to the person who sent `"name": "finnish"`; these sentences do.
 */
const BY_DEFINITION: Readonly<Record<string, (value: unknown) => string>> = {
  jobUuid: () => 'must be a job UUID (107...)',
  pipelineUuid: () => 'must be a pipeline UUID (106...)',
  eventUuid: () => 'must be an event UUID (108...)',
  typedUuid: () => 'must be a typed UUID (100... to 125...)',
  fileUuid: () => 'must be a file UUID (105...)',
  referenceUuid: () => 'must be a reference UUID (109...)',
  fileOrReferenceUuid: () => 'must be a file (105...) or reference (109...) UUID',
  jobOrProcessUuid: () => 'must be a job (107...) or process (117...) UUID',
  issuedToken: () => 'must be a token: 16 lower-case hexadecimal characters',
  timestamp: () => 'must be a UTC timestamp with milliseconds, e.g. 2026-11-20T15:02:41.297Z',
  archivePath: () => 'must be an absolute path (starting with /)',
  duration: () => 'must be a duration above zero: a whole number and a unit (ms, s, m, h, d, w), e.g. 24h',
  jobsEventType: () => 'must be a Tapis job event type: jobs.<category>.<detail>',
  messageEventName: (value) =>
    typeof value === 'string' && RESERVED_EVENTS.some((name) => name === normalizeEventName(value))
      ? `must not be '${normalizeEventName(value)}', which only POST /jobs writes; must be one of: ${messageEvents}`
      : `must be one of: ${messageEvents}`,
};

/**
 * Pattern source -> message, read from the schemas' own `$defs` so the TypeScript never repeats a
 * regular expression. A property that restates a definition's pattern inline (job.archive_path,
 * nullable) gets the same message.
 */
export function patternMessages(
  schemas: Readonly<Record<SchemaName, JsonSchemaDocument>>,
): ReadonlyMap<string, (value: unknown) => string> {
  const messages = new Map<string, (value: unknown) => string>();
  for (const schema of Object.values(schemas)) {
    const definitions = (schema.$defs ?? {}) as Record<string, { pattern?: unknown }>;
    for (const [name, definition] of Object.entries(definitions)) {
      const message = BY_DEFINITION[name];
      if (typeof definition.pattern === 'string' && message !== undefined) {
        messages.set(definition.pattern, message);
      }
    }
  }
  return messages;
}
