import { compareCodePoints, isPlainObject, pythonJsonDumps, pythonStr } from './python-forms.js';
import { type JobUuid, type PipelineUuid, typedUuid } from './typed-uuid.js';

/**
 * Deterministic identity of jobs and pipelines (docs/reference.md#job-and-pipeline-identity), computed from the same Python string
 * forms as the original so that existing UUIDs carry over.
 */

/** The only job fields that feed its UUID. A field set to undefined counts as absent. */
export interface JobIdentityFields {
  readonly pipeline_uuid?: unknown;
  readonly child_of?: unknown;
  readonly data?: unknown;
}

const JOB_UUID_FIELDS = ['pipeline_uuid', 'child_of', 'data'] as const;

/** The text hashed into a job UUID: each present field as a dict's sorted JSON or else str(), sorted, ':'-joined. */
export function jobIdentityString(job: JobIdentityFields): string {
  const parts: string[] = [];
  for (const field of JOB_UUID_FIELDS) {
    const value = job[field];
    if (value === undefined) continue;
    parts.push(isPlainObject(value) ? pythonJsonDumps(value) : pythonStr(value));
  }
  return parts.sort(compareCodePoints).join(':');
}

/** The job's typed UUID (prefix 107). */
export function jobUuid(job: JobIdentityFields): JobUuid {
  return typedUuid('pipelinejob', jobIdentityString(job)) as JobUuid;
}

/**
 * Pipeline component kinds, tried in this order; the first whose required keys are all present wins and
 * only its required and optional keys are kept (python-datacatalog `SerializedPipeline.COMPONENT_KEYS`).
 */
export const PIPELINE_COMPONENT_TYPES = [
  { type: 'agave_app', required: ['id', 'inputs', 'parameters'], optional: ['modules', 'outputs', 'uuid'] },
  { type: 'abaco_actor', required: ['id', 'image'], optional: ['options', 'uuid'] },
  { type: 'agave_job', required: ['appId', 'id'], optional: ['uuid'] },
  { type: 'deployed_container', required: ['image', 'hostname'], optional: ['hash', 'options', 'uuid'] },
  { type: 'web_service', required: ['uri'], optional: ['identifier', 'options', 'uuid'] },
] as const;

export type PipelineComponentType = (typeof PIPELINE_COMPONENT_TYPES)[number]['type'];

type ComponentSpec = (typeof PIPELINE_COMPONENT_TYPES)[number];

function hasKey(component: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(component, key) && component[key] !== undefined;
}

function componentSpec(component: unknown): ComponentSpec | undefined {
  if (!isPlainObject(component)) return undefined;
  return PIPELINE_COMPONENT_TYPES.find((spec) => spec.required.every((key) => hasKey(component, key)));
}

/** The kind of a pipeline component, or undefined when it is none of them (it is then left out of the UUID). */
export function classifyPipelineComponent(component: unknown): PipelineComponentType | undefined {
  return componentSpec(component)?.type;
}

export interface PipelineIdentityFields {
  readonly id?: unknown;
  readonly components?: unknown;
}

/** The text hashed into a pipeline UUID: `<id>:<sorted JSON of the classified, filtered components>`. */
export function pipelineIdentityString(pipeline: PipelineIdentityFields): string {
  // Like the original's payload.get('id', 'pipeline.id'): only a missing id falls back; '' stays ''.
  const id = pipeline.id === undefined ? 'pipeline.id' : pipeline.id;
  if (typeof id !== 'string') throw new TypeError('Pipeline id must be a string');
  const components = pipeline.components === undefined ? [] : pipeline.components;
  if (!Array.isArray(components)) throw new TypeError('Pipeline components must be an array');
  const kept: Record<string, unknown>[] = [];
  for (const component of components) {
    const spec = componentSpec(component);
    if (spec === undefined || !isPlainObject(component)) continue;
    const filtered: Record<string, unknown> = {};
    for (const key of [...spec.required, ...spec.optional]) {
      if (hasKey(component, key)) filtered[key] = component[key];
    }
    kept.push(filtered);
  }
  return `${id}:${pythonJsonDumps(kept)}`;
}

/** The pipeline's typed UUID (prefix 106). Only `id` and `components` count; name, description etc. do not. */
export function pipelineUuid(pipeline: PipelineIdentityFields): PipelineUuid {
  return typedUuid('pipeline', pipelineIdentityString(pipeline)) as PipelineUuid;
}
