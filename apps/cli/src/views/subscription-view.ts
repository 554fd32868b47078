import type { DeliveryAttempt, SubscriptionRecord } from '@pipelinejobs/service';
import type { Style } from '../ansi.js';
import { renderDetails } from '../details.js';
import { relativeTime } from '../relative-time.js';
import { type Column, renderTable } from '../table.js';

/** A filter in one line: `pipeline=106... states=FINISHED,FAILED`, or `everything`. */
function filterText(filter: SubscriptionRecord['filter']): string {
  const parts = [
    filter.pipeline_uuid && `pipeline=${filter.pipeline_uuid}`,
    filter.job_uuid && `job=${filter.job_uuid}`,
    filter.states && `states=${filter.states.join(',')}`,
    filter.events && `events=${filter.events.join(',')}`,
  ].filter(Boolean);
  return parts.length === 0 ? 'everything' : parts.join(' ');
}

const COLUMNS: Column<SubscriptionRecord>[] = [
  { header: 'ID', cell: (s) => s.id },
  { header: 'URL', cell: (s) => s.url, color: () => 'bold' },
  { header: 'FILTER', cell: (s) => filterText(s.filter) },
  {
    header: 'STATE',
    cell: (s) => (s.enabled ? (s.failing_since ? 'failing' : 'enabled') : 'disabled'),
    color: (s) => (s.enabled ? (s.failing_since ? 'yellow' : 'green') : 'red'),
  },
  { header: 'CREATED', cell: (s) => relativeTime(s.created) },
];

export function subscriptionTable(
  subscriptions: readonly SubscriptionRecord[],
  style: Style,
  width?: number,
) {
  return renderTable(subscriptions, COLUMNS, style, width);
}

export function subscriptionDetails(s: SubscriptionRecord, style: Style): string {
  return renderDetails(
    [
      ['id', s.id],
      ['url', style.bold(s.url)],
      ['description', s.description || undefined],
      ['filter', filterText(s.filter)],
      ['enabled', s.enabled ? 'yes' : `no (${s.disabled_reason ?? 'disabled'})`],
      ['failing since', s.failing_since ?? undefined],
      ['previous secret valid until', s.previous_secret_until ?? undefined],
      ['created', `${s.created} (${relativeTime(s.created)}) by ${s.created_by.kind} ${s.created_by.id}`],
      ['updated', `${s.updated} (${relativeTime(s.updated)})`],
    ],
    style,
  );
}

const ATTEMPT_COLUMNS: Column<DeliveryAttempt>[] = [
  { header: 'ATTEMPTED', cell: (a) => a.attempted },
  { header: 'JOB', cell: (a) => a.job_uuid },
  { header: 'SEQ', cell: (a) => String(a.seq), align: 'right' },
  { header: 'OUTCOME', cell: (a) => a.outcome, color: (a) => (a.outcome === 'delivered' ? 'green' : 'red') },
  { header: 'ANSWER', cell: (a) => (a.status_code === null ? (a.error ?? '') : String(a.status_code)) },
  { header: 'MS', cell: (a) => String(a.duration_ms), align: 'right' },
];

export function attemptTable(attempts: readonly DeliveryAttempt[], style: Style, width?: number): string {
  return renderTable(attempts, ATTEMPT_COLUMNS, style, width);
}
