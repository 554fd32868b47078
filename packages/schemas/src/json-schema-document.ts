/** A published JSON Schema document: the keywords every file of schemas/ carries, and the rest. */
export interface JsonSchemaDocument {
  readonly $schema: string;
  readonly $id: string;
  readonly title: string;
  readonly description: string;
  readonly examples: readonly unknown[];
  readonly [keyword: string]: unknown;
}
