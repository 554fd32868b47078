/** schemas/agave-job-callback.json: the Agave v2 job record an Agave notification posts. Open: other keys pass through. */
export interface AgaveJobCallback {
  /** Agave job id (ends in -007). */
  id?: string;
  owner: string;
  appId: string;
  executionSystem: string;
  archivePath: string;
  archiveSystem: string;
  /** Agave job status, any case; mapped to an event by core's eventForStatus(). */
  status: string;
  inputs?: unknown;
  parameters?: unknown;
  _links?: unknown;
  [key: string]: unknown;
}
