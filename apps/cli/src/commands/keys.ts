import { ROLES, type Role } from '@pipelinejobs/core';
import { createApiKey, listApiKeys, revokeApiKey } from '@pipelinejobs/service';
import { type Command, Option } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';
import { apiKeyDocument, apiKeyTable } from '../views/credential-view.js';

/** `keys create|list|revoke`: API keys for the HTTP API (stored hashed; shown once). */
export function registerKeys(program: Command, invocation: Invocation): void {
  const keys = program.command('keys').description('manage API keys for the HTTP API');

  keys
    .command('create')
    .description('create an API key and print it (only this once: it is stored hashed)')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--label <label>', 'a note saying who or what uses the key', '')
    .action(async (options: { role: Role; label: string }, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const { key, record } = await createApiKey(services, operator, options);
        out.result({ key, ...apiKeyDocument(record) }, () => {
          // Only the key on stdout, for KEY=$(pipelinejobs keys create ...).
          out.line(key);
          out.note(
            `API key ${record.prefix} (role ${record.role}) created. It is shown only this once; ` +
              `send it as  Authorization: Bearer <key>`,
          );
        });
      });
    });

  keys
    .command('list')
    .description('list API keys (prefix, role, label, last use; never the keys themselves)')
    .action(async (_options: unknown, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const items = (await listApiKeys(services, operator)).map(apiKeyDocument);
        out.result({ items }, () =>
          out.line(items.length === 0 ? 'No API keys.' : apiKeyTable(items, out.style)),
        );
      });
    });

  keys
    .command('revoke')
    .description('revoke an API key at once')
    .argument('<id-or-prefix>', 'the key id, or the prefix shown by `keys list`')
    .action(async (idOrPrefix: string, _options: unknown, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const key = apiKeyDocument(await revokeApiKey(services, operator, idOrPrefix));
        out.result(key, () =>
          out.line(`Revoked API key ${key.prefix} (role ${key.role}${key.label ? `, ${key.label}` : ''}).`),
        );
      });
    });
}
