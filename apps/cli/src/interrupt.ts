/** The command was stopped by the io's signal (Ctrl-C); run answers it with exit 130. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}

/**
 * `work`, or Interrupted as soon as `signal` is aborted (at once if it already is); what `work`
 * does afterwards is ignored, so the caller can close what it uses without waiting for it.
 */
export async function unlessInterrupted<T>(
  work: () => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return work();
  if (signal.aborted) throw new Interrupted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
