import { type PipelineUuid, pipelineUuid } from '@pipelinejobs/core';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import { and, desc, eq, lt } from 'drizzle-orm';
import { iso, type PipelineRecord } from './documents.js';
import { StorageError, translated } from './errors.js';
import type { Database } from './open-database.js';
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
  /** The `next` of the previous page: the last pipeline UUID it held. */
  before?: PipelineUuid;
}

/** Visible pipelines in descending uuid order, with keyset pagination on the uuid. */
export async function selectPipelines(
  db: Database,
  options: SelectPipelinesOptions,
): Promise<{ items: PipelineRecord[]; next: string | null }> {
  const { limit } = options;
  const rows = await translated(() =>
    db.orm
      .select()
      .from(pipelines)
      .where(
        and(eq(pipelines.visible, true), options.before ? lt(pipelines.uuid, options.before) : undefined),
      )
      .orderBy(desc(pipelines.uuid))
      .limit(limit + 1),
  );
  const items = rows.slice(0, limit).map(pipelineDocument);
  return { items, next: rows.length > limit ? (items.at(-1)?.uuid ?? null) : null };
}
