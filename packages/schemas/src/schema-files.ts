import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type SchemaName, schemaId, schemaNames } from './schema-names.js';
import { SchemasError } from './schemas-error.js';

/** A published JSON Schema document: the keywords every file of schemas/ carries, and the rest. */
export interface JsonSchemaDocument {
  readonly $schema: string;
  readonly $id: string;
  readonly title: string;
  readonly description: string;
  readonly examples: readonly unknown[];
  readonly [keyword: string]: unknown;
}

/**
 * Where schemas/ is. This file runs from src/ (tests, tsx) or dist/ (built), both one level below
 * the package, so the same relative URLs hold for both. In the workspace, the root's schemas/ is
 * the source of truth and wins, so an edit there is seen without a build; the root is recognised
 * by its pnpm-workspace.yaml, so an installed copy (node_modules/@pipelinejobs/schemas) never
 * picks up an unrelated directory two levels up. Outside the workspace, the copy that the build
 * puts in <package>/schemas/ is used.
 */
export function schemaDirectory(): URL {
  const workspaceRoot = new URL('../../../', import.meta.url);
  const candidates: URL[] = [];
  if (existsSync(new URL('pnpm-workspace.yaml', workspaceRoot))) {
    candidates.push(new URL('schemas/', workspaceRoot));
  }
  candidates.push(new URL('../schemas/', import.meta.url));
  const found = candidates.find((dir) => existsSync(new URL(`${schemaNames[0]}.json`, dir)));
  if (found === undefined) {
    const tried = candidates.map((dir) => fileURLToPath(dir)).join(', ');
    throw new SchemasError('schema_files_not_found', `The schema files were not found (looked in ${tried})`);
  }
  return found;
}

/** Reads and checks every schema file once; a file with the wrong `$id` means a wrong directory. */
export function readSchemaFiles(directory: URL): Record<SchemaName, JsonSchemaDocument> {
  const entries = schemaNames.map((name) => {
    const file = new URL(`${name}.json`, directory);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new SchemasError('schema_file_invalid', `Cannot read ${fileURLToPath(file)}`, { cause });
    }
    if (!isSchemaDocument(parsed) || parsed.$id !== schemaId(name)) {
      throw new SchemasError(
        'schema_file_invalid',
        `${fileURLToPath(file)} is not the ${name} schema (expected $id ${schemaId(name)})`,
      );
    }
    return [name, parsed] as const;
  });
  return Object.fromEntries(entries) as Record<SchemaName, JsonSchemaDocument>;
}

function isSchemaDocument(value: unknown): value is JsonSchemaDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const doc = value as Record<string, unknown>;
  return (
    typeof doc.$schema === 'string' &&
    typeof doc.$id === 'string' &&
    typeof doc.title === 'string' &&
    typeof doc.description === 'string' &&
    Array.isArray(doc.examples)
  );
}
