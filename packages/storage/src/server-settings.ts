import type { Actor } from './documents.js';
import { translated } from './errors.js';
import type { Database } from './open-database.js';

/**
 * Records the settings every process on this database must share (the first process to start
 * writes them; later ones keep what is there) and returns what the database holds, so the
 * caller can refuse to run with values that differ. `replacedBy` overwrites them instead, and
 * records who did: an operator adopting a new secret on purpose.
 */
export async function recordServerSettings(
  db: Database,
  settings: Readonly<Record<string, string>>,
  options: { replacedBy?: Actor | undefined } = {},
): Promise<Record<string, string>> {
  const by = options.replacedBy;
  const { sql } = db;
  const entries = Object.entries(settings);
  return translated(async () => {
    if (entries.length > 0) {
      const names = entries.map(([name]) => name);
      const values = entries.map(([, value]) => value);
      await (by
        ? sql`
          insert into server_settings (name, value, set_by_kind, set_by_id)
          select name, value, ${by.kind}, ${by.id} from unnest(${names}::text[], ${values}::text[]) as t(name, value)
          on conflict (name) do update set value = excluded.value, set_by_kind = excluded.set_by_kind,
            set_by_id = excluded.set_by_id, created_at = date_trunc('milliseconds', now())`
        : sql`
          insert into server_settings (name, value)
          select * from unnest(${names}::text[], ${values}::text[])
          on conflict (name) do nothing`);
    }
    const rows = await sql<{ name: string; value: string }[]>`select name, value from server_settings`;
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  });
}
