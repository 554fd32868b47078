import { deepFreeze } from './deep-freeze.js';
import { type JsonSchemaDocument, readSchemaFiles, schemaDirectory } from './schema-files.js';
import type { SchemaName } from './schema-names.js';

/** The raw schema documents, read once at load: what GET /schemas/:name serves and OpenAPI embeds. */
export const schemas: Readonly<Record<SchemaName, JsonSchemaDocument>> = deepFreeze(
  readSchemaFiles(schemaDirectory()),
);
