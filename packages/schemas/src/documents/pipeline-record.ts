/** A pipeline as the API returns it: the registered document plus its identity and timestamps. */
export interface PipelineRecord {
  /** Pipeline UUID (106...). */
  uuid: string;
  id: string;
  name: string;
  /** The document as registered (schemas/pipeline.json). */
  body: Record<string, unknown>;
  visible: boolean;
  created: string;
  updated: string;
}
