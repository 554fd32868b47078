import { EVENT_NAMES, RESERVED_EVENTS, STATE_NAMES } from '@pipelinejobs/core';
import { describe, expect, it } from 'vitest';
import {
  EVENT_SOURCES,
  MESSAGE_EVENT_NAMES,
  PIPELINE_TYPES,
  PROCESSING_LEVELS,
  type SchemaName,
  schemaNames,
  schemas,
  validate,
} from '../src/index.js';

type Definitions = Record<string, { enum?: unknown[]; pattern?: string }>;

function definitions(name: SchemaName): Definitions {
  return (schemas[name].$defs ?? {}) as Definitions;
}

/** Every `$defs/<key>` of every schema that has one. */
function everyDefinition(key: string) {
  return schemaNames.flatMap((name) => {
    const definition = definitions(name)[key];
    return definition === undefined ? [] : [{ name, definition }];
  });
}

/** How the case-insensitive name pattern is built: one bracket pair per letter, names in table order. */
function caseInsensitiveNames(names: readonly string[]): string {
  const letters = (name: string) => [...name].map((c) => `[${c.toUpperCase()}${c}]`).join('');
  return `^(?:${names.map(letters).join('|')})$`;
}

describe('the schemas and the state machine of @pipelinejobs/core', () => {
  it('list the 11 states in table order wherever a state is described', () => {
    const found = everyDefinition('state');
    expect(found.map((entry) => entry.name).sort()).toEqual(
      ['history-event', 'job', 'message-response', 'problem', 'subscription', 'webhook-notification'].sort(),
    );
    for (const { definition } of found) expect(definition.enum).toEqual(STATE_NAMES);
  });

  it('list the 15 event names, lower case, wherever a stored event name is described', () => {
    const found = everyDefinition('eventName');
    expect(found.map((entry) => entry.name).sort()).toEqual(
      ['history-event', 'job', 'message-response', 'problem', 'subscription', 'webhook-notification'].sort(),
    );
    for (const { definition } of found) expect(definition.enum).toEqual(EVENT_NAMES);
  });

  it('accept in a message every event but the reserved ones, spelt as in core', () => {
    expect(MESSAGE_EVENT_NAMES).toEqual(EVENT_NAMES.filter((name) => !RESERVED_EVENTS.includes(name)));
    expect(definitions('event').messageEventName?.pattern).toBe(caseInsensitiveNames(MESSAGE_EVENT_NAMES));
  });

  it('accept a message event name in any letter case and refuse create', () => {
    const message = (name: string) => ({ uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5', name });
    for (const name of MESSAGE_EVENT_NAMES) {
      const mixed = [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
      for (const spelling of [name, name.toUpperCase(), mixed]) {
        expect(validate('event', message(spelling)).ok, spelling).toBe(true);
      }
    }
    for (const spelling of ['create', 'CREATE', 'runs', ' run', 'updated', 'delete', '']) {
      expect(validate('event', message(spelling)).ok, spelling).toBe(false);
    }
  });

  it('agree with the exported constants for processing levels, pipeline types and event sources', () => {
    for (const { definition } of everyDefinition('processingLevel'))
      expect(definition.enum).toEqual(PROCESSING_LEVELS);
    expect(definitions('pipeline').pipelineType?.enum).toEqual(PIPELINE_TYPES);
    const properties = schemas['history-event'].properties as Record<string, { enum?: unknown[] }>;
    expect(properties.source?.enum).toEqual(EVENT_SOURCES);
  });
});
