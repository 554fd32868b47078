import {
  ADMIN_EVENTS,
  allowedEvents,
  type EventName,
  INITIAL_STATE,
  RESERVED_EVENTS,
  STATE_NAMES,
  type State,
  transition,
} from '@pipelinejobs/core';
import type { Style } from '../ansi.js';
import { STATE_COLORS } from '../state-colors.js';
import { type Column, renderTable } from '../table.js';

interface Row {
  state: State;
  /** Only the first row of each state names it, so the table reads as groups. */
  first: boolean;
  event: EventName;
  to: State;
}

/** Every state with the events it accepts and where each leads, all read from core's table. */
export function fsmRows(): Row[] {
  return STATE_NAMES.flatMap((state) =>
    allowedEvents(state).map((event, i) => {
      const result = transition(state, event);
      return { state, first: i === 0, event, to: result.ok ? result.to : state };
    }),
  );
}

function note(event: EventName): string {
  if (RESERVED_EVENTS.includes(event)) return 'written by job creation only';
  if (ADMIN_EVENTS.includes(event)) return 'needs an admin token';
  return '';
}

export function fsmTable(style: Style, width?: number): string {
  const columns: Column<Row>[] = [
    {
      header: 'STATE',
      cell: (r) => (r.first ? `${r.state}${r.state === INITIAL_STATE ? ' (initial)' : ''}` : ''),
      color: (r) => (r.first ? STATE_COLORS[r.state] : undefined),
    },
    { header: 'EVENT', cell: (r) => r.event, color: () => 'bold' },
    {
      header: 'TO',
      cell: (r) => (r.to === r.state ? `${r.to} (same)` : r.to),
      color: (r) => STATE_COLORS[r.to],
    },
    { header: 'NOTE', cell: (r) => note(r.event), color: () => 'dim' },
  ];
  return renderTable(fsmRows(), columns, style, width);
}
