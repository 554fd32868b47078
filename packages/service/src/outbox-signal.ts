/**
 * Told by the use cases that wrote a transition (and so maybe notifications): wakes this
 * process's dispatcher at once, without a NOTIFY in the event's transaction (which would take
 * PostgreSQL's global notify lock at every commit and serialise them). The dispatcher tells the
 * other Managers with a NOTIFY of its own, at most a few times a second.
 */
export interface OutboxSignal {
  written(): void;
  /** Calls `listener` on each `written`; returns the function that stops it. */
  listen(listener: () => void): () => void;
}

export function outboxSignal(): OutboxSignal {
  const listeners = new Set<() => void>();
  return {
    written() {
      for (const listener of listeners) listener();
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
