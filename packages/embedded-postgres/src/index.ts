export { EmbeddedPostgresError } from './errors.js';
export {
  acquireEmbeddedServer,
  EMBEDDED_DATABASE,
  type EmbeddedOptions,
  type EmbeddedServer,
  type ReleaseOptions,
  releaseEmbeddedServer,
} from './lifecycle.js';
export type { EmbeddedLog, EmbeddedLogLevel } from './log.js';
