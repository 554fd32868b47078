import type { CreateJobRequest } from '@pipelinejobs/schemas';
import type { InsertJobInput } from '@pipelinejobs/storage';
import { pipelineUuidInput } from './parse-input.js';

/** The fields of a job request that hold lists of typed UUIDs. */
const UUID_LIST_FIELDS = ['child_of', 'generated_by', 'acted_on', 'acted_using'] as const;

/**
 * The job to insert, from a request the create-job schema accepted: its pipeline UUID parsed and
 * every UUID in lower case. UUIDs are case-insensitive on input and lower case everywhere after,
 * so the identity of a job does not depend on how its parents were spelt.
 */
export function jobInput(request: CreateJobRequest): InsertJobInput {
  // The schema's pattern is the parser's, so this refuses nothing the schema let through.
  const input: InsertJobInput = {
    ...request,
    pipeline_uuid: pipelineUuidInput(request.pipeline_uuid, 'pipeline_uuid'),
  };
  for (const field of UUID_LIST_FIELDS) {
    const uuids = request[field];
    if (uuids !== undefined) input[field] = uuids.map((uuid) => uuid.toLowerCase());
  }
  return input;
}
