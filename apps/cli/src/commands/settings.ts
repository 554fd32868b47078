import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';

/**
 * `settings adopt`: makes this process's secret, admin key and admin token lifetime the ones the
 * database holds. Processes with other values are then refused at start, so this is the step of
 * changing them on purpose (the rotation procedure in the README); every job token and admin
 * token changes with the secret.
 */
export function registerSettings(program: Command, invocation: Invocation): void {
  const settings = program
    .command('settings')
    .description('the settings every process on the database shares (secret, admin key, token lifetime)');
  settings
    .command('adopt')
    .description(
      'record the current PIPELINEJOBS_SECRET, PIPELINEJOBS_ADMIN_KEY and PIPELINEJOBS_ADMIN_TOKEN_LIFETIME as ' +
        "the database's; stop the Managers first, restart them with the same values after (job tokens change)",
    )
    .requiredOption(
      '--yes',
      'confirm: every job token and admin token derived from an old secret stops working',
    )
    .action(async (_options: unknown, command: Command) => {
      await withServices(
        invocation,
        command,
        async ({ out, services }) => {
          out.result({ adopted: true, admin_token_lifetime_seconds: services.admin.lifetimeSeconds }, () => {
            out.line(
              'Adopted: processes must now start with these settings; reissue job tokens to the platforms.',
            );
          });
        },
        { adoptSettings: true },
      );
    });
}
