import type { DeadlinesRequest } from './deadlines-request.js';
import type { ProcessingLevel } from './index-requests.js';
import type { JsonObject } from './json-object.js';

/** Pipeline kinds (schemas: `$defs/pipelineType`). */
export const PIPELINE_TYPES = [
  'generic-process',
  'data-transfer',
  'metadata-management',
  'primary-etl',
  'secondary-etl',
] as const;

export type PipelineType = (typeof PIPELINE_TYPES)[number];

// Components are open, as in the original: the pipeline UUID keeps only each type's known keys.
export interface AgaveAppComponent {
  id: string;
  inputs: JsonObject;
  parameters: JsonObject & { CONTAINER_IMAGE?: string };
  [key: string]: unknown;
}

export interface AbacoActorComponent {
  id: string;
  image: string;
  options?: JsonObject;
  [key: string]: unknown;
}

export interface WebServiceComponent {
  uri: string;
  identifier?: string;
  options?: JsonObject;
  [key: string]: unknown;
}

export interface DeployedContainerComponent {
  image: string;
  hostname: string;
  servername?: string;
  port?: number;
  hash?: string;
  options?: JsonObject;
  [key: string]: unknown;
}

export type PipelineComponent =
  | AgaveAppComponent
  | AbacoActorComponent
  | WebServiceComponent
  | DeployedContainerComponent;

/** schemas/pipeline.json: a pipeline as registered (POST /pipelines). */
export interface PipelineDocument {
  name: string;
  /** Unique identifier, e.g. `tacc/tacobot:9000`; part of the pipeline UUID. */
  id: string;
  description?: string;
  /** At least one; part of the pipeline UUID. */
  components: PipelineComponent[];
  /** At least one. */
  processing_levels: ProcessingLevel[];
  accepts?: string[];
  produces?: string[];
  /** Defaults to `primary-etl`. */
  type?: PipelineType;
  /** Legacy spelling of `type` found in the original fixtures. */
  pipeline_type?: PipelineType;
  /** Legacy field found in the original fixtures; not interpreted. */
  collections_levels?: unknown;
  /** Time budgets by state for the pipeline's jobs. */
  deadlines?: DeadlinesRequest;
}
