/**
 * A one-line counter on stderr while `--all` walks the pages, redrawn in place; only on a
 * terminal, so pipes and logs never see carriage returns.
 */
function createProgress(label: string, enabled: boolean) {
  let shown = false;
  return {
    update(count: number): void {
      if (!enabled) return;
      process.stderr.write(`\r${label}: ${count}…`);
      shown = true;
    },
    done(): void {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
    },
  };
}

/**
 * Reads one page from `start`, or with `all` every page by following `next`, counting on stderr
 * (on a terminal) as it goes. Returns the items and the `next` of the last page read.
 */
export async function readPages<T, C>(
  read: (cursor: C | undefined) => Promise<{ items: T[]; next: C | null }>,
  options: { start: C | undefined; all: boolean; label: string; interactive: boolean },
): Promise<{ items: T[]; next: C | null }> {
  const items: T[] = [];
  const progress = createProgress(options.label, options.interactive && options.all);
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
