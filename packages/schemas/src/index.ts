export type { CreateJobRequest } from './documents/create-job-request.js';
export type { ApiKeyRecord, NonceConsumption, NonceRecord, UnknownRole } from './documents/credentials.js';
export type { DeadlinesRequest } from './documents/deadlines-request.js';
export {
  type ActorDocument,
  EVENT_SOURCES,
  type EventSource,
  type HistoryEvent,
} from './documents/history-event.js';
export { type ArchivePattern, PROCESSING_LEVELS, type ProductPattern } from './documents/index-requests.js';
export type { JobDocument } from './documents/job-document.js';
export type { JsonObject } from './documents/json-object.js';
export type { MessageResponse } from './documents/message-response.js';
export { PIPELINE_TYPES, type PipelineDocument } from './documents/pipeline-document.js';
export type { PipelineRecord } from './documents/pipeline-record.js';
export type { ProblemDocument } from './documents/problem-document.js';
export type { SubscriptionRequest } from './documents/subscription-request.js';
export type { TapisJobNotification } from './documents/tapis-job-notification.js';
export type { WebhookNotification } from './documents/webhook-notification.js';
/** @public Named by the inferred types of other packages' exports (declaration emit needs it). */
export type { JsonSchemaDocument } from './json-schema-document.js';
export { MESSAGE_EVENT_NAMES } from './pattern-messages.js';
export { schemas } from './published-schemas.js';
export { issuesSummary, MAX_ISSUES } from './readable-issues.js';
export { isSchemaName, SCHEMA_BASE_URL, type SchemaName, schemaNames } from './schema-names.js';
export { SchemasError } from './schemas-error.js';
export {
  matches,
  validate,
  validateAgaveJobCallback,
  validateCreateJob,
  validateDeadlines,
  validateDeleteJob,
  validateEvent,
  validateMessageResponse,
  validatePipeline,
  validateProblem,
  validateSubscription,
  validateTapisJobNotification,
} from './validate.js';
