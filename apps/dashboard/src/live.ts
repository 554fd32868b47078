import { type PipelineJobsClient, ProblemError } from '@pipelinejobs/client';
import type { HistoryEvent } from '@pipelinejobs/schemas';

/** How often the fallback asks for the history after the last entry seen. */
const POLL_MS = 1000;

/**
 * Calls `onEvent` with each history entry of the job after seq `after`, as they are written,
 * until `signal` aborts; `onStatus` says whether the feed is connected. The one place the job
 * page's live updates come from: the Manager's event stream (`client.watch()`, Server-Sent Events
 * read with fetch, so the API key goes in the Authorization header), resumed after the last seq
 * on a disconnect. A Manager without the stream (a 404 or 405) is polled instead. `onGone` is
 * called when the job is deleted: its stream ends (or, polled, its history is a 404).
 */
export function watchHistory(
  client: PipelineJobsClient,
  uuid: string,
  after: number,
  onEvent: (event: HistoryEvent) => void,
  onStatus: (connected: boolean) => void,
  signal: AbortSignal,
  onGone: () => void,
): void {
  let last = after;
  const seen = (event: HistoryEvent) => {
    if (event.seq <= last) return;
    last = event.seq;
    onEvent(event);
  };
  (async () => {
    onStatus(true);
    try {
      for await (const event of client.watch({
        job: uuid,
        after: last,
        signal,
        onReconnect: () => onStatus(false),
      })) {
        onStatus(true);
        seen(event.data);
      }
      // The iteration ends only when the job's stream does: the job was deleted.
      if (!signal.aborted) onGone();
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ProblemError && (error.status === 404 || error.status === 405)) {
        return pollHistory(client, uuid, () => last, seen, onStatus, signal, onGone);
      }
      onStatus(false);
    }
  })();
}

/** The history after the last seq every second: for a Manager that has no event stream. */
function pollHistory(
  client: PipelineJobsClient,
  uuid: string,
  last: () => number,
  onEvent: (event: HistoryEvent) => void,
  onStatus: (connected: boolean) => void,
  signal: AbortSignal,
  onGone: () => void,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    try {
      for await (const page of client.jobs.history(uuid, { after: last() }).pages()) {
        if (signal.aborted) return;
        for (const event of page.items) onEvent(event);
      }
      onStatus(true);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ProblemError && error.status === 404) return onGone();
      onStatus(false);
    }
    if (!signal.aborted) timer = setTimeout(tick, POLL_MS);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  void tick();
}
