/**
 * Told by the use cases that wrote a transition: wakes this process's event streams, and its
 * dispatcher when the transition queued notifications, at once and without a NOTIFY in the
 * event's transaction (which would take PostgreSQL's global notify lock at every commit and
 * serialise them). Told too of notifications queued without a transition (a replay, a
 * redelivery, a sweep's overdue notifications), which wake the dispatcher alone. The dispatcher tells the other Managers with a
 * NOTIFY of its own, at most a few times a second.
 */
export interface OutboxSignal {
  /** A transition was written; `queued`: with notifications to deliver. */
  written(queued: boolean): void;
  /** Notifications were queued without a transition (a replay, a redelivery, overdue ones). */
  requeued(): void;
  /**
   * Calls `listener` on each `written` (`transition` true) and `requeued` (`queued` true,
   * `transition` false); returns the function that stops it.
   */
  listen(listener: (queued: boolean, transition: boolean) => void): () => void;
  /** Whether anything queued notifications since these services were opened. */
  anyQueued(): boolean;
}

export function outboxSignal(): OutboxSignal {
  const listeners = new Set<(queued: boolean, transition: boolean) => void>();
  let any = false;
  return {
    written(queued) {
      any ||= queued;
      for (const listener of listeners) listener(queued, true);
    },
    requeued() {
      any = true;
      for (const listener of listeners) listener(true, false);
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    anyQueued: () => any,
  };
}
