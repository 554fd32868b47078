import type { CliWriter } from './io.js';

/**
 * A one-line counter while `--all` walks the pages, redrawn in place on `terminal` (stderr when
 * it is one); with none it shows nothing, so pipes and logs never see carriage returns.
 */
function createProgress(label: string, terminal: CliWriter | undefined) {
  let shown = false;
  return {
    update(count: number): void {
      if (!terminal) return;
      terminal.write(`\r${label}: ${count}…`);
      shown = true;
    },
    done(): void {
      if (shown) terminal?.write('\r\u001b[K');
      shown = false;
    },
  };
}

/**
 * Reads one page from `start`, or with `all` every page by following `next`, counting on the
 * terminal (if any) as it goes. Returns the items and the `next` of the last page read.
 */
export async function readPages<T, C>(
  read: (cursor: C | undefined) => Promise<{ items: T[]; next: C | null }>,
  options: { start: C | undefined; all: boolean; label: string; terminal: CliWriter | undefined },
): Promise<{ items: T[]; next: C | null }> {
  const items: T[] = [];
  const progress = createProgress(options.label, options.all ? options.terminal : undefined);
  let cursor = options.start;
  let next: C | null;
  try {
    do {
      const page = await read(cursor);
      items.push(...page.items);
      next = page.next;
      cursor = next ?? undefined;
      progress.update(items.length);
    } while (options.all && next !== null);
  } finally {
    progress.done();
  }
  return { items, next };
}
