export {
  type ApiKeyRecord,
  countActiveApiKeys,
  findApiKeyByHash,
  insertApiKey,
  markApiKeyRevoked,
  selectApiKeys,
} from './api-keys.js';
export {
  type AppliedEvent,
  type ApplyEventHooks,
  type Authorize,
  applyEvent,
  type EventInput,
  type LockedJob,
} from './apply-event.js';
export type {
  Actor,
  EventOutcome,
  EventSource,
  HistoryEvent,
  JobDocument,
  PipelineRecord,
} from './documents.js';
export { isDriverError, StorageError, type StorageErrorCode, translated, translateError } from './errors.js';
export {
  bumpTokenVersion,
  type InsertJobInput,
  type InsertJobOptions,
  insertJob,
  type JobAuditAction,
  type JobAuditEntry,
  type JobCursor,
  markJobDeleted,
  parseJobCursor,
  type SelectJobsOptions,
  selectHistory,
  selectJob,
  selectJobAudit,
  selectJobs,
} from './jobs.js';
export { migrate, migrationsFolder } from './migrate.js';
export {
  consumeNonce,
  insertNonce,
  markNonceRevoked,
  type NonceConsumption,
  type NonceRecord,
  selectNonces,
} from './nonces.js';
export {
  type Database,
  type DatabaseConfig,
  type OpenOptions,
  openDatabase,
  type PoolConfig,
} from './open-database.js';
export { insertPipeline, type PipelineInput, selectPipeline, selectPipelines } from './pipelines.js';
export { recordServerSettings } from './server-settings.js';
export { checkWritable, type Writability } from './writable.js';
