import { migrateDatabase } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { announceNewDatabase, withConfig } from '../session.js';

/**
 * `migrate`: applies pending migrations under the advisory lock, whatever PIPELINEJOBS_MIGRATE
 * says. Other commands and the Manager migrate on open with `auto` (the default); with `check`
 * or `off` this is the separate step, run as the role that owns the schema. The secret is not
 * checked against the database here: this is how a database gets its schema before anything
 * else runs on it.
 */
export function registerMigrate(program: Command, invocation: Invocation): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run from several processes at once)')
    .action(async (_options: unknown, command: Command) => {
      await withConfig(invocation, command, async ({ config, out, log, stderr }) => {
        const { applied, database, embedded } = await migrateDatabase(config, { log });
        announceNewDatabase(stderr, embedded);
        const schema = config.dbSchema ?? 'public';
        out.result({ applied, database, schema }, () => {
          out.line(
            applied === 0
              ? `The database is up to date (schema ${schema}).`
              : `Applied ${applied} migration${applied === 1 ? '' : 's'} (schema ${schema}).`,
          );
        });
      });
    });
}
