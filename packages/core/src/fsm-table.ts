/**
 * The PipelineJob finite state machine as data. Everything else (transition(), the DOT and
 * Mermaid exports, the JSON Schema enums, GET /fsm, the CLI and the tests) reads this table;
 * nothing else spells out a state or event list.
 *
 * Source: the original datacatalog FSM, unchanged (docs/reference.md#the-state-machine).
 */

export const STATES = {
  CREATED: 'Inputs and configuration are defined; the job has not started',
  RUNNING: 'The job is actively processing',
  FAILED: 'The job did not complete successfully',
  FINISHED: 'The job completed and its outputs are archived',
  INDEXING: 'The outputs are being associated with metadata',
  VALIDATING: 'The outputs are being assessed',
  VALIDATED: 'The outputs were found correct',
  REJECTED: 'The outputs were found invalid',
  FINALIZED: 'The outputs are validated and released for general use',
  RETIRED: 'The job and its outputs should no longer be used',
  RESET: 'The job is being reset for another run',
} as const;

export type State = keyof typeof STATES;

export const EVENTS = {
  create: 'A new job was created',
  run: 'Mark the job as running',
  update: 'Add an informational entry to the history',
  resource: 'Note resource-marshalling activity',
  fail: 'The job failed permanently',
  finish: 'The job completed',
  index: 'Begin indexing the outputs',
  indexed: 'Indexing of the outputs is complete',
  validate: 'Begin validating the outputs',
  validated: 'Validation of the outputs is done',
  finalize: 'The outputs are suitable for use',
  reject: 'The outputs are unsuitable for use',
  retire: 'The job is retired or deprecated',
  reset: 'Begin resetting the job (its archive may be cleared)',
  ready: 'Reset is complete; the job may run again',
} as const;

export type EventName = keyof typeof EVENTS;

/** `'='` means the event leaves the state unchanged (a repeatable self-loop). */
export type Destination = State | '=';

export interface TransitionRule {
  readonly event: EventName;
  /** `'*'` means every state. */
  readonly from: readonly State[] | '*';
  readonly to: Destination;
}

export const TRANSITIONS: readonly TransitionRule[] = [
  { event: 'create', from: ['CREATED'], to: 'CREATED' },
  { event: 'run', from: ['CREATED', 'RUNNING'], to: 'RUNNING' },
  { event: 'update', from: ['CREATED', 'RUNNING', 'VALIDATING', 'INDEXING'], to: '=' },
  { event: 'resource', from: ['CREATED', 'RUNNING'], to: '=' },
  { event: 'fail', from: ['CREATED', 'RUNNING', 'VALIDATING', 'INDEXING'], to: 'FAILED' },
  { event: 'finish', from: ['RUNNING', 'FINISHED'], to: 'FINISHED' },
  { event: 'index', from: ['INDEXING', 'FINISHED'], to: 'INDEXING' },
  { event: 'indexed', from: ['FINISHED', 'INDEXING'], to: 'FINISHED' },
  { event: 'validate', from: ['FINISHED', 'VALIDATED'], to: 'VALIDATING' },
  { event: 'validated', from: ['VALIDATED', 'VALIDATING'], to: 'VALIDATED' },
  { event: 'reject', from: ['VALIDATING'], to: 'REJECTED' },
  { event: 'finalize', from: ['VALIDATED'], to: 'FINALIZED' },
  {
    event: 'retire',
    from: ['FAILED', 'FINALIZED', 'FINISHED', 'REJECTED', 'VALIDATING', 'VALIDATED'],
    to: 'RETIRED',
  },
  { event: 'reset', from: '*', to: 'RESET' },
  { event: 'ready', from: ['RESET'], to: 'CREATED' },
];

export const INITIAL_STATE: State = 'CREATED';

/**
 * Where a state leaves a job's work, for pictures and colours: `failure` (the work did not
 * succeed) or `done` (nothing more to do: released, or retired). Every other state is on the way.
 * From each of them only `retire` and `reset` lead on.
 */
export const STATE_OUTCOMES: Readonly<Partial<Record<State, 'failure' | 'done'>>> = {
  FAILED: 'failure',
  REJECTED: 'failure',
  FINALIZED: 'done',
  RETIRED: 'done',
};

/** Written only by the agent that creates the job (POST /jobs), never accepted as a message. */
export const RESERVED_EVENTS: readonly EventName[] = ['create'];

/** The events a message may carry: every event but the reserved ones. */
export type MessageEventName = Exclude<EventName, 'create'>;

/** Need an admin token on top of request authentication. */
export const ADMIN_EVENTS: readonly EventName[] = ['reset', 'ready'];

export const STATE_NAMES = Object.keys(STATES) as State[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isState(value: unknown): value is State {
  return typeof value === 'string' && Object.hasOwn(STATES, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(EVENTS, value);
}
