export { EmbeddedPostgresError } from './errors.js';
/** @public The shapes of the functions above, for callers that pass them around. */
export type { EmbeddedOptions, EmbeddedServer, ReleaseOptions } from './lifecycle.js';
export { acquireEmbeddedServer, releaseEmbeddedServer } from './lifecycle.js';
/** @public */
export type { EmbeddedLog, EmbeddedLogLevel } from './log.js';
export { fileExposure } from './private-files.js';
