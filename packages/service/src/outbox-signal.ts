/**
 * Told by the use cases that wrote a transition: wakes this process's event streams, and its
 * dispatcher when the transition queued notifications, at once and without a NOTIFY in the
 * event's transaction (which would take PostgreSQL's global notify lock at every commit and
 * serialise them). The dispatcher tells the other Managers with a NOTIFY of its own, at most a
 * few times a second.
 */
export interface OutboxSignal {
  /** A transition was written; `queued`: with notifications to deliver. */
  written(queued: boolean): void;
  /** Calls `listener` on each `written`; returns the function that stops it. */
  listen(listener: (queued: boolean) => void): () => void;
}

export function outboxSignal(): OutboxSignal {
  const listeners = new Set<(queued: boolean) => void>();
  return {
    written(queued) {
      for (const listener of listeners) listener(queued);
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
