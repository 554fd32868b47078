import { migrateDatabase } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { announceNewDatabase, withConfig } from '../session.js';

/**
 * `migrate`: applies pending migrations under the advisory lock. Every other command migrates on
 * open as well; this one exists for deploy scripts that want it as a separate step (it needs no
 * secret: it is how a database gets its schema before anything else runs on it).
 */
export function registerMigrate(program: Command, invocation: Invocation): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run from several processes at once)')
    .action(async (_options: unknown, command: Command) => {
      await withConfig(invocation, command, async ({ config, out, log, stderr }) => {
        const { applied, database, embedded } = await migrateDatabase(config, { log });
        announceNewDatabase(stderr, embedded);
        out.result({ applied, database }, () => {
          out.line(
            applied === 0
              ? 'The database is up to date.'
              : `Applied ${applied} migration${applied === 1 ? '' : 's'}.`,
          );
        });
      });
    });
}
