import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { SCHEMA_BASE_URL, schemaNames, schemas, validate } from '../src/index.js';

const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

describe('the published schema documents', () => {
  it.each(schemaNames)('%s compiles on its own under strict mode', (name) => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    expect(() => ajv.compile(structuredClone(schemas[name]))).not.toThrow();
  });

  it.each(schemaNames)(
    '%s is a draft 2020-12 document with an id, a title, a description and examples',
    (name) => {
      const schema = schemas[name];
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id).toBe(`${SCHEMA_BASE_URL}${name}.json`);
      expect(schema.title.length).toBeGreaterThan(0);
      expect(schema.description.length).toBeGreaterThan(20);
      expect(schema.examples.length).toBeGreaterThan(0);
    },
  );

  it.each(schemaNames)('%s accepts each of its own examples', (name) => {
    for (const example of schemas[name].examples) {
      expect(validate(name, example)).toEqual({ ok: true, value: example });
    }
  });

  it('only refer to their own $defs, so each file is usable alone', () => {
    for (const name of schemaNames) {
      const refs = JSON.stringify(schemas[name]).match(/"\$ref":"[^"]*"/g) ?? [];
      for (const ref of refs) expect(ref).toMatch(/^"\$ref":"#\/\$defs\/[A-Za-z]+"$/);
    }
  });

  it('define a shared name the same way in every file', () => {
    const seen = new Map<string, { from: string; definition: unknown }>();
    for (const name of schemaNames) {
      const definitions = (schemas[name].$defs ?? {}) as Record<string, unknown>;
      for (const [key, definition] of Object.entries(definitions)) {
        const first = seen.get(key);
        if (first === undefined) seen.set(key, { from: name, definition });
        else
          expect(definition, `$defs/${key} of ${name} differs from ${first.from}`).toEqual(first.definition);
      }
    }
  });

  it('are frozen, so a consumer cannot change what the validators check', () => {
    expect(Object.isFrozen(schemas.event)).toBe(true);
    expect(Object.isFrozen(schemas.event.properties)).toBe(true);
  });
});
