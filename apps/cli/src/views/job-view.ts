import { allowedEvents } from '@pipelinejobs/core';
import type { JobDocument } from '@pipelinejobs/schemas';
import type { Style } from '../ansi.js';
import { renderDetails } from '../details.js';
import { relativeTime } from '../relative-time.js';
import { STATE_COLORS } from '../state-colors.js';
import { type Column, renderTable } from '../table.js';

const COLUMNS: Column<JobDocument>[] = [
  { header: 'UUID', cell: (j) => j.uuid },
  { header: 'STATE', cell: (j) => j.state, color: (j) => STATE_COLORS[j.state] },
  { header: 'LAST EVENT', cell: (j) => j.last_event },
  { header: 'PIPELINE', cell: (j) => j.pipeline_uuid },
  { header: 'UPDATED', cell: (j) => relativeTime(j.updated) },
];

export function jobTable(jobs: readonly JobDocument[], style: Style, width?: number): string {
  return renderTable(jobs, COLUMNS, style, width);
}

const when = (iso: string) => `${iso} (${relativeTime(iso)})`;
const orNone = (value: string | null) => value ?? '-';

/** `RUNNING 24h (fail), INDEXING 2h (notify)`, or `-` for none. */
function budgets(deadlines: JobDocument['deadlines']): string {
  const entries = Object.entries(deadlines ?? {});
  if (entries.length === 0) return '-';
  return entries.map(([state, b]) => `${state} ${b?.budget} (${b?.action})`).join(', ');
}

/**
 * The current state's deadline: when, and what happens then. A notify budget notifies once per
 * entry into the state: once it did, the line says so (its deadline may have moved since).
 */
function deadline(current: JobDocument['deadline']): string {
  if (!current) return '-';
  const at = when(current.at);
  if (current.action === 'fail') return `${current.state} ${current.budget}: fails at ${at}`;
  if (current.notified) return `${current.state} ${current.budget}: due at ${at}; overdue notification sent`;
  return `${current.state} ${current.budget}: notifies at ${at}`;
}

/** A job as `key  value` lines, then its data; `token` only where the caller just obtained it. */
export function jobDetails(job: JobDocument & { token?: string }, style: Style): string {
  const state = style[STATE_COLORS[job.state]](style.bold(job.state));
  return [
    renderDetails(
      [
        ['uuid', job.uuid],
        ['pipeline', job.pipeline_uuid],
        ['state', `${state} since ${relativeTime(job.state_since)}`],
        ['last event', job.last_event],
        ['allowed', allowedEvents(job.state).join(', ')],
        ['token', job.token === undefined ? undefined : style.bold(job.token)],
        ['token version', String(job.token_version)],
        ['archive', `${orNone(job.archive_system)}:${orNone(job.archive_path)}`],
        ['session', orNone(job.session)],
        ['agent', orNone(job.agent)],
        ['task', orNone(job.task)],
        ['child of', job.child_of.length > 0 ? job.child_of.join(', ') : '-'],
        ['budgets', budgets(job.deadlines)],
        ['deadline', deadline(job.deadline)],
        ['events', String(job.version)],
        ['created', when(job.created)],
        ['updated', when(job.updated)],
      ],
      style,
    ),
    '',
    style.dim('data:'),
    JSON.stringify(job.data, null, 2),
  ].join('\n');
}
