import type { HistoryEvent } from '@pipelinejobs/schemas';
import type { Style } from '../ansi.js';
import { relativeTime } from '../relative-time.js';
import { STATE_COLORS } from '../state-colors.js';
import { type Column, renderTable, truncate } from '../table.js';

const COLUMNS: Column<HistoryEvent>[] = [
  { header: 'SEQ', cell: (e) => String(e.seq), align: 'right' },
  { header: 'EVENT', cell: (e) => e.name, color: () => 'bold' },
  { header: 'FROM', cell: (e) => e.from },
  { header: 'TO', cell: (e) => e.to, color: (e) => STATE_COLORS[e.to] },
  { header: 'SOURCE', cell: (e) => e.source },
  { header: 'WHEN', cell: (e) => relativeTime(e.date) },
  { header: 'DATA', cell: (e) => (e.data === null ? '' : truncate(JSON.stringify(e.data), 60)) },
];

export function historyTable(events: readonly HistoryEvent[], style: Style, width?: number): string {
  return renderTable(events, COLUMNS, style, width);
}
