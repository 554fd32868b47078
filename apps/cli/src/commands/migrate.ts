import { migrate, translated } from '@pipelinejobs/storage';
import type { Command } from 'commander';
import { withDatabase } from '../session.js';

/**
 * `migrate`: applies pending migrations under the advisory lock. Every other command migrates on
 * open as well; this one exists for deploy scripts that want it as a separate step.
 */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run from several processes at once)')
    .action(async (_options: unknown, command: Command) => {
      await withDatabase(command, async (db, out) => {
        const applied = await translated(() => migrate(db.sql));
        out.result({ applied, database: db.kind }, () => {
          out.line(
            applied === 0
              ? 'The database is up to date.'
              : `Applied ${applied} migration${applied === 1 ? '' : 's'}.`,
          );
        });
      });
    });
}
