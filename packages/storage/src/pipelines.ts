import { type PipelineUuid, pipelineUuid } from '@pipelinejobs/core';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import { eq } from 'drizzle-orm';
import { iso, type PipelineRecord } from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';
import { more, type Paged, withinBudget } from './page-budget.js';
import { pipelines } from './schema.js';

type PipelineRow = typeof pipelines.$inferSelect;

function pipelineDocument(row: PipelineRow): PipelineRecord {
  return {
    uuid: row.uuid,
    id: row.id,
    name: row.name,
    body: row.body as Record<string, unknown>,
    visible: row.visible,
    created: iso(row.createdAt),
    updated: iso(row.updatedAt),
  };
}

/**
 * Registers a pipeline (a document the pipeline schema accepted, stored as sent); its identity is the typed UUID of its id and components, so registering
 * the same pipeline again returns the existing record (`created: false`).
 */
export async function insertPipeline(
  db: Database,
  input: PipelineDocument,
): Promise<{ pipeline: PipelineRecord; created: boolean }> {
  const uuid = pipelineUuid(input);
  return translated(async () => {
    const [inserted] = await db.orm
      .insert(pipelines)
      .values({ uuid, id: input.id, name: input.name, body: input })
      .onConflictDoNothing({ target: pipelines.uuid })
      .returning();
    if (inserted) return { pipeline: pipelineDocument(inserted), created: true };
    return { pipeline: await selectPipeline(db, uuid), created: false };
  });
}

export async function selectPipeline(db: Database, uuid: PipelineUuid): Promise<PipelineRecord> {
  const [row] = await translated(() => db.orm.select().from(pipelines).where(eq(pipelines.uuid, uuid)));
  if (!row) throw new StorageError('not_found', `No pipeline ${uuid} is registered`, { uuid });
  if (!row.visible) throw new StorageError('gone', `Pipeline ${uuid} was deleted`, { uuid });
  return pipelineDocument(row);
}

export interface SelectPipelinesOptions {
  /** Checked by the caller against the listing's bounds. */
  limit: number;
  /** The most bytes of pipeline documents a page holds (at least one is always returned). */
  maxBytes: number;
  /** The `next` of the previous page: the last pipeline UUID it held. */
  before?: PipelineUuid;
}

/** A pipeline row as plain SQL reads it. */
interface PipelineSqlRow {
  uuid: string;
  id: string;
  name: string;
  body: Record<string, unknown>;
  visible: boolean;
  created_at: string;
  updated_at: string;
}

/** Visible pipelines in descending uuid order, with keyset pagination on the uuid. */
export async function selectPipelines(
  db: Database,
  options: SelectPipelinesOptions,
): Promise<{ items: PipelineRecord[]; next: string | null }> {
  const { limit } = options;
  const { sql } = db;
  const rows = await translated(
    () => sql<(PipelineSqlRow & Paged)[]>`
      ${withinBudget(
        sql,
        sql`
        select uuid, id, name, body, visible, created_at, updated_at,
          octet_length(body::text) + octet_length(id) + octet_length(name) as bytes
        from pipelines
        where visible ${options.before ? sql`and uuid < ${options.before}` : sql``}
        order by uuid desc
        limit ${limit + 1}`,
        sql`uuid desc`,
        options.maxBytes,
      )}`,
  );
  const items = rows.slice(0, limit).map((row) =>
    pipelineDocument({
      uuid: row.uuid,
      id: row.id,
      name: row.name,
      body: row.body,
      visible: row.visible,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    }),
  );
  return { items, next: more(rows, items) ? (items.at(-1)?.uuid ?? null) : null };
}
