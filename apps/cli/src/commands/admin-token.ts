import { adminToken, adminTokenValidUntil } from '@pipelinejobs/auth';
import { loadOrCreateSecret } from '@pipelinejobs/service';
import type { Command } from 'commander';
import { globalOptions } from '../global-options.js';
import { createOutput } from '../output.js';
import { configOf } from '../session.js';

/**
 * `admin-token`: derived from the server secret and the clock alone, so no database is opened
 * (with the embedded default the secret is read from the data directory).
 */
export function registerAdminToken(program: Command): void {
  program
    .command('admin-token')
    .description(
      'print the current admin token (valid for the current and the next window, 1 h each by default); ' +
        'use it as --token "$(pipelinejobs admin-token)"',
    )
    .action((_options: unknown, command: Command) => {
      const out = createOutput(globalOptions(command));
      const config = configOf(command);
      const admin = {
        secret: config.secret ?? loadOrCreateSecret(config.dataDir),
        adminKey: config.adminKey,
        lifetimeSeconds: config.adminTokenLifetimeSeconds,
      };
      const now = new Date();
      const token = adminToken({ ...admin, now });
      const validUntil = adminTokenValidUntil(admin, now).toISOString();
      out.result({ token, valid_until: validUntil }, () => {
        // Only the token on stdout, for $(...).
        out.line(token);
        if (out.interactive) out.note(`valid until ${validUntil}`);
      });
    });
}
