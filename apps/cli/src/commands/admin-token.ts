import { currentAdminToken } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';

/**
 * `admin-token`: opens the database like every command, so the secret, admin key and lifetime it
 * mints with are checked against the ones the Managers on that database use.
 */
export function registerAdminToken(program: Command, invocation: Invocation): void {
  program
    .command('admin-token')
    .description(
      'print the current admin token (valid for the current and the next window, 1 h each by default); ' +
        'use it as --token "$(pipelinejobs admin-token)"',
    )
    .action(async (_options: unknown, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const { token, validUntil } = currentAdminToken(services, operator);
        const until = validUntil.toISOString();
        out.result({ token, valid_until: until }, () => {
          // Only the token on stdout, for $(...).
          out.line(token);
          if (out.interactive) out.note(`valid until ${until}`);
        });
      });
    });
}
