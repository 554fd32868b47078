// The apps' only door: every use case (each takes the principal and checks it), the typed
// parsers of the apps' own input, configuration, and the few values of the packages below that
// an app needs to speak about them (types, redaction, the CLI's principal).
export { type InboundRequest, parseInbound } from '@pipelinejobs/adapters';
export {
  cliOperator,
  type Principal,
  REDACT_PATHS,
  REDACTED,
  redactSecrets,
  redactUrl,
} from '@pipelinejobs/auth';
export type { EmbeddedLog } from '@pipelinejobs/embedded-postgres';
export type { DeliveryAttempt, PipelineRecord, SubscriptionRecord } from '@pipelinejobs/storage';
export { authenticateRequest } from './authentication.js';
export {
  type Config,
  ConfigError,
  DEFAULT_HTTP_LIMITS,
  type HttpLimits,
  readConfig,
  type TrustProxy,
} from './config.js';
export {
  createApiKey,
  createNonce,
  currentAdminToken,
  ensureFirstAdminKey,
  hasActiveApiKey,
  listApiKeys,
  listNonces,
  revokeApiKey,
  revokeNonce,
  systemPrincipal,
} from './credentials.js';
export { migrateDatabase } from './database.js';
export { databaseStats } from './database-stats.js';
export { type DeadlineSweeper, setJobDeadlines, startDeadlineSweeper } from './deadlines.js';
export { type Dispatcher, startDispatcher } from './dispatcher.js';
export { asServiceError, ServiceError, type ServiceErrorCode } from './errors.js';
export { dryRunEvent, handleInbound, sendEvent } from './events.js';
export { fsmSvg } from './fsm-svg.js';
export {
  cancelJob,
  countJobs,
  countJobsPerState,
  createJob,
  deleteJob,
  getHistory,
  getJob,
  getJobAudit,
  jobFsmSvg,
  listJobs,
  rotateJobToken,
} from './jobs.js';
export {
  PAGE_BYTES,
  PAGE_LIMITS,
  parseAuditQuery,
  parseHistoryQuery,
  parseJobsQuery,
  parsePipelinesQuery,
} from './list-queries.js';
export { authoriseMetrics, readFsm, readFsmSvg } from './manager-documents.js';
export { eventInput, jobUuidInput, pipelineUuidInput } from './parse-input.js';
export { getPipeline, listPipelines, registerPipeline } from './pipelines.js';
export { checkReadiness, type Readiness } from './readiness.js';
export { agreeOnSettings, embeddedSecret, settingsDrift } from './secret.js';
export {
  closeServices,
  type InterruptedOutcome,
  interruptedOutcome,
  interruptServices,
  openServices,
  type Services,
} from './services.js';
export { DEFAULT_STREAM_SETTINGS, type StreamSettings } from './stream-settings.js';
/** @public What a global stream's events carry, and what an app implements to frame a stream. */
export type { GlobalStreamEntry, StreamSink } from './streams.js';
export {
  type OpenStream,
  openEventStream,
  parseStreamFilter,
  type StreamEnd,
  type StreamMessage,
  type StreamRequest,
  startEventStreams,
  streamStats,
} from './streams.js';
export {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  redeliverNotification,
  replaySubscription,
  subscriptionIdInput,
  updateSubscription,
} from './subscriptions.js';
export type { WebhookSettings } from './webhook-settings.js';
