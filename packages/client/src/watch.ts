import type { EventName, JobUuid, PipelineUuid, State } from '@pipelinejobs/core';
import type { HistoryEvent } from '@pipelinejobs/schemas';
import { ProblemError, problemOfResponse } from './problem-error.js';
import { backoffMs, DEFAULT_RETRY, RETRYABLE_STATUSES } from './retry.js';
import { isRedirect, redirectRefused, type Transport } from './transport.js';

/**
 * Answers a watch waits out and reconnects after: the Manager's own (busy, its database away) and
 * a proxy's while the Manager behind it restarts (502, 504); a watch is meant to outlive those.
 */
const STREAM_RETRYABLE: ReadonlySet<number> = new Set([...RETRYABLE_STATUSES, 502, 504]);

/** An event of a stream: its id (where to resume after it), its name and the history entry. */
export interface WatchedEvent {
  readonly id: string;
  readonly event: EventName;
  /** The history entry; on the global stream with its job's and pipeline's UUIDs. */
  readonly data: HistoryEvent & { readonly job_uuid?: JobUuid; readonly pipeline_uuid?: PipelineUuid };
}

export interface WatchOptions {
  /** One job's events (ids are its seqs); without it, every job's, filtered by the rest. */
  readonly job?: JobUuid | string | undefined;
  readonly pipeline_uuid?: PipelineUuid | string | undefined;
  readonly state?: State | readonly State[] | undefined;
  readonly event?: EventName | readonly EventName[] | undefined;
  /**
   * Where to start: after this event id. Default: a job's stream from the start of its history,
   * the global stream from now.
   */
  readonly after?: string | number | undefined;
  /** Ends the iteration (as `break` does). */
  readonly signal?: AbortSignal | undefined;
  /** Told before each reconnection, with the wait and why. */
  readonly onReconnect?:
    | ((info: { delayMs: number; lastEventId: string | undefined; reason: unknown }) => void)
    | undefined;
}

/** An SSE event as parsed: the fields of one block. */
interface Block {
  id?: string;
  event?: string;
  data: string[];
}

/**
 * The events of a text/event-stream body, as the HTML standard parses it: lines, fields, a blank
 * line ends an event; comments are skipped. `retry` is told each `retry:` field.
 */
async function* parseEvents(
  body: ReadableStream<Uint8Array>,
  retry: (ms: number) => void,
): AsyncGenerator<{ id: string | undefined; event: string; data: string | undefined }> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let block: Block = { data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        newline = buffer.search(/\r\n|\r|\n/);
        if (line === '') {
          if (block.data.length > 0) {
            yield { id: block.id, event: block.event ?? 'message', data: block.data.join('\n') };
          } else if (block.id !== undefined) {
            // An id alone: where to resume, no event.
            yield { id: block.id, event: '', data: undefined };
          }
          block = { data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') block.data.push(value);
        else if (field === 'event') block.event = value;
        else if (field === 'id' && !value.includes('\0')) block.id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) retry(Number(value));
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

const list = (value: string | readonly string[] | undefined) =>
  value === undefined ? undefined : typeof value === 'string' ? value : value.join(',');

/**
 * A job's or every job's events as they happen, over the Manager's Server-Sent Events streams:
 * reconnects by itself after a disconnect or a Manager restart (with backoff, at least what the
 * server's `retry:` asks) and resumes with Last-Event-ID, so each event comes once and in order.
 * A refusal (a credential refused, a bad filter) is a ProblemError; a deleted job's stream ends
 * the iteration. Leaving the loop (`break`, `return`, an exception, the signal) closes the
 * connection.
 */
export async function* watchEvents(
  transport: Transport,
  options: WatchOptions = {},
): AsyncGenerator<WatchedEvent> {
  const path =
    options.job === undefined ? '/events/stream' : `/jobs/${encodeURIComponent(options.job)}/events/stream`;
  const query =
    options.job === undefined
      ? { pipeline_uuid: options.pipeline_uuid, state: list(options.state), event: list(options.event) }
      : {};
  let lastEventId = options.after === undefined ? undefined : String(options.after);
  let retryMs = 1000;
  let failures = 0;
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  try {
    while (!signal.aborted) {
      let reason: unknown;
      // Each connection has a signal of its own, following the watch's and dropped with the
      // connection: fetch leaves its listener on the signal it is given (until collected), one
      // more per reconnection on a long watch's.
      const connection = new AbortController();
      const forward = () => connection.abort(signal.reason);
      signal.addEventListener('abort', forward, { once: true });
      try {
        const response = await transport.open({
          method: 'GET',
          path,
          query: { ...query, ...(lastEventId === undefined ? {} : { after: lastEventId }) },
          headers: {
            accept: 'text/event-stream',
            ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
          },
          signal: connection.signal,
        });
        if (isRedirect(response)) throw await redirectRefused(response);
        if (response.status === 410 && options.job !== undefined) {
          await response.body?.cancel();
          return;
        }
        if (!response.ok && !STREAM_RETRYABLE.has(response.status)) throw await problemOfResponse(response);
        if (!response.ok || !response.body) {
          reason = await problemOfResponse(response);
        } else {
          for await (const block of parseEvents(response.body, (ms) => {
            retryMs = ms;
          })) {
            failures = 0;
            if (block.id !== undefined) lastEventId = block.id;
            if (block.data === undefined) continue;
            yield {
              id: block.id ?? '',
              event: block.event as EventName,
              data: JSON.parse(block.data) as WatchedEvent['data'],
            };
          }
          reason = new Error('the stream ended');
        }
      } catch (error) {
        if (error instanceof ProblemError || signal.aborted) throw error;
        reason = error;
      } finally {
        signal.removeEventListener('abort', forward);
        connection.abort();
      }
      if (signal.aborted) return;
      const delayMs = Math.max(retryMs, backoffMs(DEFAULT_RETRY, failures));
      failures += 1;
      options.onReconnect?.({ delayMs, lastEventId, reason });
      // The listener goes with the wait: one left on the signal per reconnection would pile up
      // over a long watch.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, delayMs);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  } catch (error) {
    if (signal.aborted && options.signal?.aborted) return;
    throw error;
  } finally {
    controller.abort();
  }
}
