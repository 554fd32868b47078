export type { AgaveJobCallback } from './documents/agave-job-callback.js';
export type { CreateJobRequest } from './documents/create-job-request.js';
export type { ApiKeyRecord, NonceConsumption, NonceRecord } from './documents/credentials.js';
export type { DeleteJobRequest } from './documents/delete-job-request.js';
export type { EventMessage } from './documents/event-message.js';
export {
  type ActorDocument,
  EVENT_SOURCES,
  type EventSource,
  type HistoryEvent,
} from './documents/history-event.js';
export {
  type ArchivePattern,
  PROCESSING_LEVELS,
  type ProcessingLevel,
  type ProductPattern,
} from './documents/index-requests.js';
export type { JobDocument } from './documents/job-document.js';
export type { JsonObject } from './documents/json-object.js';
export type { MessageResponse } from './documents/message-response.js';
export {
  type AbacoActorComponent,
  type AgaveAppComponent,
  type DeployedContainerComponent,
  PIPELINE_TYPES,
  type PipelineComponent,
  type PipelineDocument,
  type PipelineType,
  type WebServiceComponent,
} from './documents/pipeline-document.js';
export type { ProblemDocument } from './documents/problem-document.js';
export type { TapisJobEvent, TapisJobNotification } from './documents/tapis-job-notification.js';
export type { JsonSchemaDocument } from './json-schema-document.js';
export { MESSAGE_EVENT_NAMES } from './pattern-messages.js';
export { schemas } from './published-schemas.js';
export { issuesSummary, MAX_ISSUES, type SchemaIssue } from './readable-issues.js';
export type { SchemaDocument, SchemaDocuments } from './schema-documents.js';
export { isSchemaName, SCHEMA_BASE_URL, type SchemaName, schemaId, schemaNames } from './schema-names.js';
export { SchemasError, type SchemasErrorCode } from './schemas-error.js';
export {
  matches,
  type ValidationResult,
  validate,
  validateAgaveJobCallback,
  validateCreateJob,
  validateDeleteJob,
  validateEvent,
  validateHistoryEvent,
  validateJob,
  validateMessageResponse,
  validatePipeline,
  validateProblem,
  validateTapisJobNotification,
} from './validate.js';
