import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { patternMessages } from './pattern-messages.js';
import { schemas } from './published-schemas.js';
import { type SchemaName, schemaNames } from './schema-names.js';

// ajv-formats is CommonJS: to TypeScript under NodeNext its default import is the module object,
// at run time it is the function.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

/**
 * One ajv for all schemas, each compiled once at load. strict refuses unknown keywords and
 * ambiguous types in our own schemas; allErrors reports every issue at once; verbose gives the
 * failing value and subschema, which the readable messages need.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
addFormats(ajv);

export const validators: ReadonlyMap<SchemaName, ValidateFunction> = new Map(
  schemaNames.map((name) => [name, ajv.compile(schemas[name])]),
);

export const messagesByPattern = patternMessages(schemas);
