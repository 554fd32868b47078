import type { DeadlinesRequest } from './deadlines-request.js';
import type { ArchivePattern, ProductPattern } from './index-requests.js';
import type { JsonObject } from './json-object.js';

/** schemas/create-job.json: the body of POST /jobs. */
export interface CreateJobRequest {
  /** Pipeline UUID (106...). */
  pipeline_uuid: string;
  /** Run-time parameters; with pipeline_uuid and child_of, the job's identity. */
  data: JsonObject;
  /** Typed UUIDs of upstream metadata; part of the job's identity. The schema documents `[]` as the default. */
  child_of?: string[];
  /** Absolute path (starts with `/`). */
  archive_path?: string;
  archive_system?: string;
  archive_patterns?: ArchivePattern[];
  product_patterns?: ProductPattern[];
  session?: string;
  agent?: string | null;
  task?: string | null;
  /** At most one pipeline UUID. */
  generated_by?: string[];
  /** File (105) UUIDs. */
  acted_on?: string[];
  /** Reference (109) UUIDs. */
  acted_using?: string[];
  /** Overrides of the pipeline's time budgets (null removes one). */
  deadlines?: DeadlinesRequest;
}
