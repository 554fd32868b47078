export { archivePath, MIN_INSTANCE_SESSION_LENGTH } from './archive-path.js';
export { asciiLower, asciiUpper } from './ascii-case.js';
export {
  applyBudgets,
  type BudgetChanges,
  type Budgets,
  type DeadlineAction,
  parseBudgets,
} from './deadlines.js';
export { parseDurationMs } from './duration.js';
export { fsmToDot, fsmToJson, fsmToMermaid } from './fsm-export.js';
export {
  ADMIN_EVENTS,
  EVENT_NAMES,
  type EventName,
  INITIAL_STATE,
  isEventName,
  type MessageEventName,
  RESERVED_EVENTS,
  STATE_NAMES,
  type State,
} from './fsm-table.js';
export { jobUuid, pipelineUuid } from './identity.js';
export { parseInstant } from './instant.js';
export {
  type JsonExactValue,
  MAX_JSON_BYTES,
  MAX_JSON_DEPTH,
  parseJson,
  parseJsonExact,
} from './json-exact.js';
export { JsonInputError } from './json-input-error.js';
export { isPlainObject } from './python-forms.js';
export { isRole, ROLES, type Role } from './roles.js';
export { eventForStatus, UNKNOWN_STATUS_EVENT } from './status-map.js';
export {
  allowedEvents,
  isAdminEvent,
  isReservedEvent,
  normalizeEventName,
  transition,
} from './transition.js';
export {
  isTypedUuid,
  type JobUuid,
  type PipelineUuid,
  parseJobUuid,
  parsePipelineUuid,
  randomTypedUuid,
  type TypedUuidType,
} from './typed-uuid.js';
export { decodeUtf8, firstNonAscii } from './utf8-text.js';
