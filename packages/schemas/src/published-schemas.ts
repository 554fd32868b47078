import { deepFreeze } from './deep-freeze.js';
import { schemaFiles } from './generated/schema-files.js';
import type { JsonSchemaDocument } from './json-schema-document.js';
import type { SchemaName } from './schema-names.js';

/**
 * The raw schema documents: what GET /schemas/:name serves and OpenAPI embeds. Built into the
 * module from schemas/*.json (scripts/build-schemas.mjs), so nothing is read from disk at run time.
 */
export const schemas: Readonly<Record<SchemaName, JsonSchemaDocument>> = deepFreeze(schemaFiles);
