import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, isState, STATE_NAMES, type State } from './fsm-table.js';
import { allowedEvents, isAdminEvent, isReservedEvent, transition } from './transition.js';

/**
 * The original's events allowed in each state (docs/reference.md#the-state-machine), typed out
 * independently of the table in fsm-table.ts:
 * state -> { event: destination }. Every pair not listed must be refused.
 */
const ORIGINAL: Record<State, Record<string, State>> = {
  CREATED: {
    create: 'CREATED',
    run: 'RUNNING',
    update: 'CREATED',
    resource: 'CREATED',
    fail: 'FAILED',
    reset: 'RESET',
  },
  RUNNING: {
    run: 'RUNNING',
    update: 'RUNNING',
    resource: 'RUNNING',
    fail: 'FAILED',
    finish: 'FINISHED',
    reset: 'RESET',
  },
  FINISHED: {
    finish: 'FINISHED',
    index: 'INDEXING',
    indexed: 'FINISHED',
    validate: 'VALIDATING',
    retire: 'RETIRED',
    reset: 'RESET',
  },
  INDEXING: { update: 'INDEXING', fail: 'FAILED', index: 'INDEXING', indexed: 'FINISHED', reset: 'RESET' },
  VALIDATING: {
    update: 'VALIDATING',
    fail: 'FAILED',
    validated: 'VALIDATED',
    reject: 'REJECTED',
    retire: 'RETIRED',
    reset: 'RESET',
  },
  VALIDATED: {
    validate: 'VALIDATING',
    validated: 'VALIDATED',
    finalize: 'FINALIZED',
    retire: 'RETIRED',
    reset: 'RESET',
  },
  FAILED: { retire: 'RETIRED', reset: 'RESET' },
  REJECTED: { retire: 'RETIRED', reset: 'RESET' },
  FINALIZED: { retire: 'RETIRED', reset: 'RESET' },
  RETIRED: { reset: 'RESET' },
  RESET: { reset: 'RESET', ready: 'CREATED' },
};

describe('transition', () => {
  it('has 11 states and 15 events', () => {
    expect(STATE_NAMES).toHaveLength(11);
    expect(EVENT_NAMES).toHaveLength(15);
    expect(Object.keys(ORIGINAL).sort()).toEqual([...STATE_NAMES].sort());
  });

  const pairs = STATE_NAMES.flatMap((state) => EVENT_NAMES.map((event) => [state, event] as const));
  it.each(pairs)('%s + %s agrees with the original table', (state, event) => {
    const expected = ORIGINAL[state][event];
    const result = transition(state, event);
    if (expected === undefined) {
      expect(result).toMatchObject({ ok: false, reason: 'not_allowed' });
      if (!result.ok) expect([...result.allowed].sort()).toEqual(Object.keys(ORIGINAL[state]).sort());
    } else {
      expect(result).toEqual({ ok: true, event, from: state, to: expected });
    }
  });

  it('accepts event names in any case and returns them lower-case', () => {
    expect(transition('CREATED', 'RUN')).toEqual({ ok: true, event: 'run', from: 'CREATED', to: 'RUNNING' });
    expect(transition('RUNNING', ' Finish ')).toMatchObject({ ok: true, event: 'finish', to: 'FINISHED' });
  });

  it('refuses an unknown event with the events the state allows', () => {
    const result = transition('RESET', 'explode');
    expect(result).toMatchObject({ ok: false, reason: 'unknown_event', allowed: ['reset', 'ready'] });
  });

  it('names the state and the allowed events when an event is not allowed', () => {
    const result = transition('FAILED', 'run');
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.message).toBe("Event 'run' is not allowed in state FAILED; allowed: retire, reset");
  });

  it('refuses an unknown state without throwing', () => {
    expect(transition('NOPE', 'run')).toMatchObject({ ok: false, reason: 'unknown_state', allowed: [] });
  });

  it('lists allowed events per state in table order', () => {
    expect(allowedEvents('CREATED')).toEqual(['create', 'run', 'update', 'resource', 'fail', 'reset']);
  });

  it('marks create as reserved and reset/ready as admin-only', () => {
    expect(isReservedEvent('create')).toBe(true);
    expect(isReservedEvent('run')).toBe(false);
    expect(isAdminEvent('reset')).toBe(true);
    expect(isAdminEvent('ready')).toBe(true);
    expect(isAdminEvent('retire')).toBe(false);
  });

  it('is total: never throws for any string input', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (state, event) => {
        const result = transition(state, event);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never reaches a state outside the table from any sequence of events', () => {
    const eventArb = fc.oneof(fc.constantFrom(...EVENT_NAMES), fc.string(), fc.constantFrom('RUN', 'Finish'));
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        let state: State = 'CREATED';
        for (const event of events) {
          const result = transition(state, event);
          if (result.ok) {
            expect(ORIGINAL[state][result.event]).toBe(result.to);
            state = result.to;
          }
          expect(isState(state)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
