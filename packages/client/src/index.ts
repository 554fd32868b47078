export {
  AGAVE_JOB_STATUS,
  type AgaveNotification,
  type CallbackTarget,
  callbackUrl,
  type TapisSubscription,
} from './callbacks.js';
export {
  type AuditEntry,
  type AuditQuery,
  type CreatedJob,
  createClient,
  type DryRunResult,
  type EventRequest,
  type EventResult,
  type HistoryQuery,
  type JobsQuery,
  type JobWithToken,
  PipelineJobsClient,
  type ReadinessReport,
} from './client.js';
export {
  type CallbackOptions,
  childOfFromIds,
  DEFAULT_ARCHIVE_SYSTEM,
  ManagedPipelineJob,
  ManagedPipelineJobError,
  ManagedPipelineJobInstance,
  type ManagedPipelineJobOptions,
  type ParentIds,
  type ReactorContext,
  ReactorManagedPipelineJob,
  reactorContextFromEnvironment,
} from './managed-job.js';
export { type Page, Paged } from './paging.js';
export { ProblemError } from './problem-error.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export type { ClientOptions, Credentials, RetryInfo } from './transport.js';
export {
  verifyWebhook,
  type WebhookHeaders,
  type WebhookRefusal,
  WebhookVerificationError,
} from './verify-webhook.js';
export type { WatchedEvent, WatchOptions } from './watch.js';
