import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SchemasError, schemaDirectory } from '../src/index.js';
import { readSchemaFiles } from '../src/schema-files.js';

describe('finding the schema files', () => {
  it('reads the workspace schemas/ directly, so an edit needs no build', () => {
    expect(schemaDirectory().href).toBe(new URL('../../../schemas/', import.meta.url).href);
  });

  it('refuses a directory whose files are not ours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    writeFileSync(
      join(dir, 'event.json'),
      JSON.stringify({
        $schema: 'x',
        $id: 'https://example.org/event.json',
        title: 't',
        description: 'd',
        examples: [],
      }),
    );
    const read = () => readSchemaFiles(pathToFileURL(`${dir}/`));
    expect(read).toThrow(SchemasError);
    expect(read).toThrow(/is not the event schema/);
  });

  it('names the file it cannot read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
    try {
      readSchemaFiles(pathToFileURL(`${dir}/`));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SchemasError);
      expect((error as SchemasError).code).toBe('schema_file_invalid');
      expect((error as SchemasError).message).toContain('event.json');
    }
  });
});
