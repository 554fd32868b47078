import type { PipelineJobsClient } from '@pipelinejobs/client';
import type { HistoryEvent } from '@pipelinejobs/schemas';

/** How often the history is asked for entries after the last one seen. */
const POLL_MS = 1000;

/**
 * Calls `onEvent` with each history entry of the job after seq `after`, as they are written,
 * until `signal` aborts; `onStatus` says whether the feed is connected. The one place the job
 * page's live updates come from: today it polls the history (`after` the last seq) every second.
 */
export function watchHistory(
  client: PipelineJobsClient,
  uuid: string,
  after: number,
  onEvent: (event: HistoryEvent) => void,
  onStatus: (connected: boolean) => void,
  signal: AbortSignal,
): void {
  let last = after;
  const tick = async () => {
    try {
      for await (const page of client.jobs.history(uuid, { after: last }).pages()) {
        if (signal.aborted) return;
        for (const event of page.items) {
          if (event.seq > last) {
            last = event.seq;
            onEvent(event);
          }
        }
      }
      onStatus(true);
    } catch {
      if (!signal.aborted) onStatus(false);
    }
    if (!signal.aborted) timer = setTimeout(tick, POLL_MS);
  };
  let timer = setTimeout(tick, 0);
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
}
