import { asciiUpper, parseInstant, parsePipelineUuid, STATE_NAMES, type State } from '@pipelinejobs/core';
import {
  parseJobCursor,
  type SelectAuditOptions,
  type SelectHistoryOptions,
  type SelectJobsOptions,
  type SelectPipelinesOptions,
} from '@pipelinejobs/storage';
import { ServiceError } from './errors.js';

/**
 * The one parser of list requests, the same for an HTTP query string and the CLI's options:
 * every filter, page size and cursor becomes a typed value here, and storage takes them as they
 * are. Each listing's page bounds are defined here and nowhere else.
 */
export const PAGE_LIMITS = {
  jobs: { default: 50, max: 500 },
  pipelines: { default: 50, max: 500 },
  history: { default: 100, max: 1000 },
  audit: { default: 100, max: 1000 },
} as const;

/**
 * The most bytes of stored documents (jobs, history entries, pipelines) one page carries: a page ends early
 * (its `next` continues) rather than hold a thousand documents of a MiB each.
 */
export const PAGE_BYTES = 8 * 1024 * 1024;

/** A query as received: text values (a URL's), numbers (a CLI's parsed options), or repeats. */
export type RawQuery = Readonly<Record<string, unknown>>;

/** A parameter given once, as text; a repeated or structured one is refused, naming it. */
function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new ServiceError('invalid', `Give the '${name}' parameter once`);
  return value;
}

function wholeNumber(query: RawQuery, name: string, min: number, max: number): number | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ServiceError('invalid', `'${name}' must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function pageLimit(query: RawQuery, bounds: { default: number; max: number }): number {
  return wholeNumber(query, 'limit', 1, bounds.max) ?? bounds.default;
}

const CURSOR_REFUSED = 'The cursor is not one this server issued; pass the `next` of the previous page';
const PIPELINE_UUID_REFUSED = "'pipeline_uuid' must be a pipeline UUID (106...)";
const UPDATED_SINCE_REFUSED =
  "'updated_since' must be an ISO 8601 date-time with a time zone, or a date: e.g. 2026-11-28T00:00:00Z or 2026-11-28";

/** A parameter given once and read by `parse`; refused with `refusal` when `parse` cannot read it. */
function parsed<T>(
  query: RawQuery,
  name: string,
  parse: (text: string) => T | undefined,
  refusal: string,
): T | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const value = parse(raw);
  if (value === undefined) throw new ServiceError('invalid', refusal);
  return value;
}

/** A state in any letter case (`running`, `RUNNING`). */
function stateOf(query: RawQuery): State | undefined {
  return parsed(
    query,
    'state',
    (raw) => STATE_NAMES.find((name) => name === asciiUpper(raw.trim())),
    `'state' must be one of (any letter case): ${STATE_NAMES.join(', ')}`,
  );
}

/** Storage's own options: what the parser makes is what storage takes. */
export type JobsQuery = SelectJobsOptions;

/** `state`, `pipeline_uuid`, `updated_since`, `overdue`, `limit`, `cursor`. */
export function parseJobsQuery(query: RawQuery): JobsQuery {
  const jobs: JobsQuery = { limit: pageLimit(query, PAGE_LIMITS.jobs), maxBytes: PAGE_BYTES };
  const overdue = parsed(
    query,
    'overdue',
    (raw) => {
      const word = raw.trim().toLowerCase();
      return word === 'true' ? true : word === 'false' ? false : undefined;
    },
    "'overdue' must be true (only jobs past the deadline of their state) or false",
  );
  // How far the use case's clock is ahead (tests) is filled in by the use case.
  if (overdue) jobs.overdue = {};
  const state = stateOf(query);
  if (state !== undefined) jobs.state = state;
  const pipelineUuid = parsed(query, 'pipeline_uuid', parsePipelineUuid, PIPELINE_UUID_REFUSED);
  if (pipelineUuid !== undefined) jobs.pipelineUuid = pipelineUuid;
  const updatedSince = parsed(query, 'updated_since', parseInstant, UPDATED_SINCE_REFUSED);
  if (updatedSince !== undefined) jobs.updatedSince = updatedSince;
  const cursor = parsed(query, 'cursor', parseJobCursor, CURSOR_REFUSED);
  if (cursor !== undefined) jobs.cursor = cursor;
  return jobs;
}

export type HistoryQuery = SelectHistoryOptions;

/** `after` (a seq), `limit`. */
export function parseHistoryQuery(query: RawQuery): HistoryQuery {
  return {
    after: wholeNumber(query, 'after', 0, 2 ** 31 - 1) ?? 0,
    limit: pageLimit(query, PAGE_LIMITS.history),
    maxBytes: PAGE_BYTES,
  };
}

export type AuditQuery = SelectAuditOptions;

/** `after` (the last id seen), `limit`. */
export function parseAuditQuery(query: RawQuery): AuditQuery {
  return {
    after: wholeNumber(query, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    limit: pageLimit(query, PAGE_LIMITS.audit),
  };
}

export type PipelinesQuery = SelectPipelinesOptions;

/** `limit`, `cursor`. */
export function parsePipelinesQuery(query: RawQuery): PipelinesQuery {
  const pipelines: PipelinesQuery = { limit: pageLimit(query, PAGE_LIMITS.pipelines), maxBytes: PAGE_BYTES };
  const before = parsed(query, 'cursor', parsePipelineUuid, CURSOR_REFUSED);
  if (before !== undefined) pipelines.before = before;
  return pipelines;
}
