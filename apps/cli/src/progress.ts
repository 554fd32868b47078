import type { CliWriter } from './io.js';

/**
 * A one-line counter while `--all` walks the pages, redrawn in place on `terminal` (stderr when
 * it is one), out of `total` when it is known; with no terminal it shows nothing, so pipes and
 * logs never see carriage returns.
 */
function createProgress(label: string, terminal: CliWriter | undefined, total: number | undefined) {
  let shown = false;
  return {
    update(count: number): void {
      if (!terminal) return;
      terminal.write(`\r${label}: ${count}${total === undefined ? '' : ` of ${total}`}…`);
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
 * terminal (if any) as it goes, out of the total `total` says (asked only when the count is
 * shown). Returns the items and the `next` of the last page read.
 */
export async function readPages<T, C>(
  read: (cursor: C | undefined) => Promise<{ items: T[]; next: C | null }>,
  options: {
    start: C | undefined;
    all: boolean;
    label: string;
    terminal: CliWriter | undefined;
    total?: () => Promise<number>;
  },
): Promise<{ items: T[]; next: C | null }> {
  const items: T[] = [];
  const terminal = options.all ? options.terminal : undefined;
  const total = terminal && options.total ? await options.total() : undefined;
  const progress = createProgress(options.label, terminal, total);
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
