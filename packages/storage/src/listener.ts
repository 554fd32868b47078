import postgres from 'postgres';

/** What a listener tells its owner. */
export interface ListenHandlers {
  /** A notification on the channel, with its payload. */
  notify(payload: string): void;
  /**
   * The listening connection is up (true: from now on every notification arrives) or down
   * (false: notifications sent meanwhile are lost; the owner must not rely on them until the
   * next true).
   */
  listening(up: boolean): void;
}

export interface Listener {
  /** Stops listening and closes the connection. */
  stop(): Promise<void>;
}

/** How long a lost listening connection waits before it tries again. */
const RELISTEN_MS = 500;

/**
 * LISTEN on `channel` over a connection of its own, for as long as the owner wants: told when it
 * is up and when it is down (the driver's own `listen` re-listens after a loss without saying
 * so, and gives up for good when that first attempt fails), and tried again every half second
 * while down. Where LISTEN is refused (a standby, a pooler that does not pass it), the owner is
 * simply never told `listening(true)`.
 */
export function startListener(
  url: string,
  connection: Record<string, string>,
  channel: string,
  handlers: ListenHandlers,
): Listener {
  let stopped = false;
  let up = false;
  let retry: NodeJS.Timeout | undefined;
  const down = () => {
    if (up) handlers.listening(false);
    up = false;
  };
  const sql = postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: 3,
    fetch_types: false,
    onnotice: () => {},
    connection,
    onclose: () => {
      down();
      schedule();
    },
    // The driver's option for notifications (used by its own `listen`), not in its types.
    ...({
      onnotify: (name: string, payload: string) => name === channel && handlers.notify(payload),
    } as object),
  });
  const attempt = async () => {
    retry = undefined;
    if (stopped) return;
    try {
      await sql`listen ${sql(channel)}`;
      if (stopped) return;
      up = true;
      handlers.listening(true);
    } catch {
      down();
      schedule();
    }
  };
  function schedule() {
    if (stopped || retry !== undefined) return;
    retry = setTimeout(attempt, RELISTEN_MS);
    retry.unref();
  }
  void attempt();
  return {
    async stop() {
      stopped = true;
      if (retry !== undefined) clearTimeout(retry);
      down();
      await sql.end({ timeout: 1 });
    },
  };
}
