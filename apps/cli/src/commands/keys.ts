import { ROLES, type Role } from '@pipelinejobs/core';
import { createApiKey, listApiKeys, revokeApiKey } from '@pipelinejobs/service';
import { type Command, Option } from 'commander';
import type { Invocation } from '../invocation.js';
import { withServicesChanging } from '../session.js';
import { apiKeyDocument, apiKeyTable } from '../views/credential-view.js';
import { registerListAndRevoke } from './credential-commands.js';

/** `keys create|list|revoke`: API keys for the HTTP API (stored hashed; shown once). */
export function registerKeys(program: Command, invocation: Invocation): void {
  const keys = program.command('keys').description('manage API keys for the HTTP API');

  keys
    .command('create')
    .description('create an API key and print it (only this once: it is stored hashed)')
    .addOption(new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory())
    .option('--label <label>', 'a note saying who or what uses the key', '')
    .action(async (options: { role: Role; label: string }, command: Command) => {
      const change = { what: 'the new key', check: 'pipelinejobs keys list' };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
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

  registerListAndRevoke(keys, invocation, {
    noun: 'API key',
    listDescription: 'list API keys (prefix, role, label, last use; never the keys themselves)',
    empty: 'No API keys.',
    revokeDescription: 'revoke an API key at once',
    revokeArgument: 'the key id, or the prefix shown by `keys list`',
    list: listApiKeys,
    revoke: revokeApiKey,
    forceDescription:
      'revoke it even when it is the last active admin key (no admin key is left for the HTTP API)',
    document: apiKeyDocument,
    table: apiKeyTable,
    revokedDetail: (key) => (key.label ? `, ${key.label}` : ''),
  });
}
