/** One page of a list: its items and what to pass for the next page (null on the last). */
export interface Page<T, C> {
  readonly items: T[];
  readonly next: C | null;
}

/**
 * A list read page by page, lazily: iterate it for the items (`for await (const job of ...)`), or
 * `pages()` for the pages. Each page is one request, fetched when the previous one is used up.
 */
export class Paged<T, C> implements AsyncIterable<T> {
  constructor(private readonly fetchPage: (after: C | undefined) => Promise<Page<T, C>>) {}

  async *pages(): AsyncGenerator<Page<T, C>> {
    let after: C | undefined;
    for (;;) {
      const page = await this.fetchPage(after);
      yield page;
      if (page.next === null || page.items.length === 0) return;
      after = page.next;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Every item, read to the end, in an array (mind the size of what you ask for). */
  async toArray(): Promise<T[]> {
    const items: T[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
