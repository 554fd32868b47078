import { asciiLower } from './ascii-case.js';
import {
  ADMIN_EVENTS,
  type EventName,
  isEventName,
  isState,
  RESERVED_EVENTS,
  STATE_NAMES,
  type State,
  TRANSITIONS,
} from './fsm-table.js';

export type TransitionResult =
  | { readonly ok: true; readonly event: EventName; readonly from: State; readonly to: State }
  | {
      readonly ok: false;
      readonly reason: 'unknown_event' | 'unknown_state' | 'not_allowed';
      readonly message: string;
      /** The events the current state accepts (empty when the state itself is unknown). */
      readonly allowed: readonly EventName[];
    };

/** Lookup built once from the table: state -> event -> destination. */
const NEXT: ReadonlyMap<State, ReadonlyMap<EventName, State>> = (() => {
  const table = new Map<State, Map<EventName, State>>(STATE_NAMES.map((s) => [s, new Map()]));
  for (const rule of TRANSITIONS) {
    const sources = rule.from === '*' ? STATE_NAMES : rule.from;
    for (const from of sources) {
      table.get(from)?.set(rule.event, rule.to === '=' ? from : rule.to);
    }
  }
  return table;
})();

/** Event names are case-insensitive on input and stored lower-case. */
export function normalizeEventName(name: string): string {
  return asciiLower(name.trim());
}

/** The events a state accepts, in table order. */
export function allowedEvents(state: State): readonly EventName[] {
  return [...(NEXT.get(state)?.keys() ?? [])];
}

/**
 * The pure transition function. Total: any string input gives a result, never an exception.
 */
export function transition(state: string, event: string): TransitionResult {
  if (!isState(state)) {
    return { ok: false, reason: 'unknown_state', message: `Unknown state '${state}'`, allowed: [] };
  }
  const name = normalizeEventName(String(event));
  const allowed = allowedEvents(state);
  if (!isEventName(name)) {
    return {
      ok: false,
      reason: 'unknown_event',
      message: `Unknown event '${name}'; events are: ${allowed.join(', ')}`,
      allowed,
    };
  }
  const to = NEXT.get(state)?.get(name);
  if (to === undefined) {
    return {
      ok: false,
      reason: 'not_allowed',
      message: `Event '${name}' is not allowed in state ${state}; allowed: ${allowed.join(', ')}`,
      allowed,
    };
  }
  return { ok: true, event: name, from: state, to };
}

/** Whether a (parsed) event is one only the Manager writes: `create`. */
export function isReservedEvent(name: EventName): boolean {
  return RESERVED_EVENTS.includes(name);
}

/** Whether a (parsed) event needs an admin token: `reset`, `ready`. */
export function isAdminEvent(name: EventName): boolean {
  return ADMIN_EVENTS.includes(name);
}
