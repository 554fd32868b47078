import type { Database } from './open-database.js';

/** The columns `withinBudget` adds: how many rows the page query found before the budget. */
export interface Paged {
  fetched: number;
}

/**
 * A page query's rows in its order, cut where their documents pass `maxBytes` (the first row is
 * always kept): a page of large documents stays a few MiB instead of a thousand times the largest.
 * The budget is applied in PostgreSQL, so what is cut is never sent. `page` selects a `bytes`
 * column, ordered by `order`, with its own limit.
 */
export function withinBudget(
  sql: Database['sql'],
  page: ReturnType<Database['sql']>,
  order: ReturnType<Database['sql']>,
  maxBytes: number,
) {
  return sql`
    select * from (
      select p.*, sum(coalesce(p.bytes, 0)) over (order by ${order}) as running,
        count(*) over ()::int as fetched
      from (${page}) p
    ) w
    where w.running - coalesce(w.bytes, 0) < ${maxBytes}
    order by ${order}`;
}

/** Whether a page has a next one: the query found more rows than the page holds. */
export const more = (rows: readonly Paged[], items: readonly unknown[]) =>
  (rows[0]?.fetched ?? 0) > items.length;
