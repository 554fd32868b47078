/** How the Manager serves event streams (apps/http/README.md lists the variables). */
export interface StreamSettings {
  /** Open streams per credential (API key, JWT subject, nonce); the next one is a 429. */
  readonly perCredential: number;
  /** Open streams per process, all credentials together. */
  readonly total: number;
  /** Bytes a stream may have waiting to be sent before its consumer is disconnected. */
  readonly maxBufferedBytes: number;
  /** A comment on every open stream this often, so that proxies and clients see it alive. */
  readonly heartbeatMs: number;
  /** How often new entries are looked for without a wake-up (LISTEN/NOTIFY, a write here). */
  readonly pollMs: number;
  /** What a client is told to wait before reconnecting (`retry:`). */
  readonly retryMs: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  perCredential: 20,
  total: 2000,
  maxBufferedBytes: 256 * 1024,
  heartbeatMs: 15_000,
  pollMs: 500,
  retryMs: 2000,
};
