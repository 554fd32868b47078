import { translated } from './errors.js';
import type { Database } from './open-database.js';

/**
 * Records the settings every process on this database must share (the first process to start
 * writes them; later ones keep what is there) and returns what the database holds, so the
 * caller can refuse to run with values that differ. `replace` overwrites them instead: for an
 * operator adopting a new secret on purpose.
 */
export async function recordServerSettings(
  db: Database,
  settings: Readonly<Record<string, string>>,
  options: { replace?: boolean } = {},
): Promise<Record<string, string>> {
  const { sql } = db;
  const entries = Object.entries(settings);
  return translated(async () => {
    if (entries.length > 0) {
      const names = entries.map(([name]) => name);
      const values = entries.map(([, value]) => value);
      await (options.replace
        ? sql`
          insert into server_settings (name, value)
          select * from unnest(${names}::text[], ${values}::text[])
          on conflict (name) do update set value = excluded.value,
            created_at = date_trunc('milliseconds', now())`
        : sql`
          insert into server_settings (name, value)
          select * from unnest(${names}::text[], ${values}::text[])
          on conflict (name) do nothing`);
    }
    const rows = await sql<{ name: string; value: string }[]>`select name, value from server_settings`;
    return Object.fromEntries(rows.map((row) => [row.name, row.value]));
  });
}
