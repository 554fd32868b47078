export {
  countActiveApiKeys,
  findApiKeyByHash,
  insertApiKey,
  insertFirstApiKey,
  markApiKeyRevoked,
  selectApiKeys,
} from './api-keys.js';
/** @public Named by the inferred types of service's exports (declaration emit needs it). */
export type { AppliedEvent } from './apply-event.js';
export {
  type ApplyEventHooks,
  applyEvent,
  type EventInput,
  type JobToAuthorize,
  TRANSITION_PARAMETERS,
  TRANSITION_SQL,
} from './apply-event.js';
export {
  countOverdueByState,
  DEADLINE_CLAIM_SQL,
  type DueJob,
  type SweepResult,
  sweepDeadlines,
} from './deadlines.js';
/** @public Named by the inferred types of service's exports (declaration emit needs it). */
export type { DeliveryAttempt } from './deliveries.js';
export {
  type AttemptResult,
  type ClaimedDelivery,
  claimDeliveries,
  oldestPendingSeconds,
  recordAttempts,
  redeliverNotification,
  replayNotifications,
  selectAttempts,
  webhookId,
} from './deliveries.js';
export type { Actor, EventSource, JobDocument, PipelineRecord } from './documents.js';
export {
  driverFailure,
  isDriverError,
  isOutcomeUnknown,
  StorageError,
  type StorageErrorCode,
  translateError,
} from './errors.js';
export { selectJobPath } from './job-path.js';
/** @public Named by the inferred type of service's getJobAudit (declaration emit needs it). */
export type { JobAuditEntry } from './jobs.js';
export {
  bumpTokenVersion,
  type InsertJobInput,
  insertJob,
  type JobCursor,
  markJobDeleted,
  parseJobCursor,
  type SelectAuditOptions,
  type SelectHistoryOptions,
  type SelectJobsOptions,
  selectHistory,
  selectJob,
  selectJobAudit,
  selectJobs,
  updateJobDeadlines,
} from './jobs.js';
export { applyMigrations, migrationStatus, schemaNameFault } from './migrate.js';
export {
  checkNonce,
  consumeNonce,
  insertNonce,
  markNonceRevoked,
  selectNonces,
} from './nonces.js';
/** @public Named by the inferred type of service's databaseStats (declaration emit needs it). */
export type { PoolStats } from './open-database.js';
export {
  type Database,
  DEFAULT_POOL_IDLE_SECONDS,
  databaseUrlFault,
  openDatabase,
} from './open-database.js';
export {
  insertPipeline,
  type SelectPipelinesOptions,
  selectPipeline,
  selectPipelines,
} from './pipelines.js';
export { recordServerSettings } from './server-settings.js';
export { countJobs, countJobsPerState, estimateHistoryRows } from './stats.js';
export {
  compareCursors,
  isSettledCursor,
  type StreamCursor,
  type StreamEntry,
  type StreamFilter,
  selectEndedJobs,
  selectInvalidCredentials,
  selectJobEntries,
  selectJobsWithEntriesAfter,
  selectStreamEntries,
  streamHorizon,
} from './stream.js';
/** @public Named by the inferred types of service's exports (declaration emit needs it). */
export type { SubscriptionRecord } from './subscriptions.js';
export {
  deleteSubscription,
  hasEnabledSubscription,
  insertSubscription,
  type SealedSecrets,
  type SubscriptionFilter,
  selectSubscription,
  selectSubscriptions,
  updateSubscription,
} from './subscriptions.js';
export { checkWritable } from './writable.js';
