import { asciiUpper } from './ascii-case.js';
import type { MessageEventName } from './fsm-table.js';

export type Platform = 'agave' | 'tapis';

/**
 * Platform job status -> PipelineJob event, one table for Agave v2 and Tapis v3.
 * Deliberate fixes over the original (docs/reference.md#status-map): UPDATED -> update (was the invalid name
 * `updated`), KILLED -> fail (was update); Tapis v3 CANCELLED -> fail, SUBMITTING_JOB and
 * BLOCKED -> resource (were missing, so fell to update).
 */
export const STATUS_EVENTS: readonly {
  readonly status: string;
  readonly event: MessageEventName;
  readonly platforms: readonly Platform[];
}[] = [
  { status: 'RUNNING', event: 'run', platforms: ['agave', 'tapis'] },
  { status: 'FINISHED', event: 'finish', platforms: ['agave', 'tapis'] },
  { status: 'FAILED', event: 'fail', platforms: ['agave', 'tapis'] },
  { status: 'STOPPED', event: 'fail', platforms: ['agave'] },
  { status: 'DELETED', event: 'fail', platforms: ['agave'] },
  { status: 'ARCHIVING_FAILED', event: 'fail', platforms: ['agave'] },
  { status: 'KILLED', event: 'fail', platforms: ['agave'] },
  { status: 'CANCELLED', event: 'fail', platforms: ['tapis'] },
  { status: 'HEARTBEAT', event: 'update', platforms: ['agave'] },
  { status: 'UPDATED', event: 'update', platforms: ['agave'] },
  { status: 'CREATED', event: 'resource', platforms: ['agave'] },
  { status: 'PERMISSION_GRANT', event: 'resource', platforms: ['agave'] },
  { status: 'PERMISSION_REVOKE', event: 'resource', platforms: ['agave'] },
  { status: 'PENDING', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'PROCESSING_INPUTS', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'STAGING_INPUTS', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'STAGED', event: 'resource', platforms: ['agave'] },
  { status: 'STAGING_JOB', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'SUBMITTING', event: 'resource', platforms: ['agave'] },
  { status: 'SUBMITTING_JOB', event: 'resource', platforms: ['tapis'] },
  { status: 'QUEUED', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'PAUSED', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'BLOCKED', event: 'resource', platforms: ['tapis'] },
  { status: 'CLEANING_UP', event: 'resource', platforms: ['agave'] },
  { status: 'ARCHIVING', event: 'resource', platforms: ['agave', 'tapis'] },
  { status: 'ARCHIVING_FINISHED', event: 'resource', platforms: ['agave'] },
];

/** What an unknown status becomes: an informational history entry. */
export const UNKNOWN_STATUS_EVENT: MessageEventName = 'update';

const BY_STATUS = new Map(STATUS_EVENTS.map((row) => [row.status, row.event]));

/** Maps a platform status (any case, surrounding space ignored) to the event it reports. */
export function eventForStatus(status: string): MessageEventName {
  return BY_STATUS.get(asciiUpper(status.trim())) ?? UNKNOWN_STATUS_EVENT;
}

/** The statuses a platform reports, for documentation and schemas. */
export function statusesOf(platform: Platform): string[] {
  return STATUS_EVENTS.filter((row) => row.platforms.includes(platform)).map((row) => row.status);
}
