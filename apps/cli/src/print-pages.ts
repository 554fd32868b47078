import type { Style } from './ansi.js';
import type { Output } from './output.js';
import { readPages } from './progress.js';

/** How a listing reads and prints its pages. */
interface PagedListing<T, C> {
  /** With --all: every page, following `next`; otherwise the first. */
  all: boolean;
  /** The progress counter's label. */
  label: string;
  /** How many there are in all, for the counter (asked only when it is shown). */
  total?: () => Promise<number>;
  /** The line printed when there is nothing. */
  empty: string;
  table: (items: T[], style: Style, width: number | undefined) => string;
  /** The note that says how to read the page after `next`. */
  more: (next: C) => string;
}

/**
 * Reads a listing's pages (see readPages) and prints them: `{ items, next }` with --json,
 * otherwise a table and, when there is more, a note on how to go on.
 */
export async function printPages<T, C>(
  out: Output,
  read: (cursor: C | undefined) => Promise<{ items: T[]; next: C | null }>,
  listing: PagedListing<T, C>,
): Promise<void> {
  const { items, next } = await readPages(read, {
    start: undefined,
    all: listing.all,
    label: listing.label,
    terminal: out.terminal,
    ...(listing.total ? { total: listing.total } : {}),
  });
  out.result({ items, next }, () => {
    out.line(items.length === 0 ? listing.empty : listing.table(items, out.style, out.width));
    if (next !== null) out.note(listing.more(next));
  });
}
