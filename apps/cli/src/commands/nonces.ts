import { ROLES, type Role } from '@pipelinejobs/core';
import { createNonce, jobUuidInput, listNonces, revokeNonce } from '@pipelinejobs/service';
import { type Command, Option } from 'commander';
import type { Invocation } from '../invocation.js';
import { duration, wholeNumber } from '../option-parsers.js';
import { withServicesChanging } from '../session.js';
import { nonceDocument, nonceTable } from '../views/credential-view.js';
import { registerListAndRevoke } from './credential-commands.js';

interface CreateOptions {
  role: Role;
  maxUses?: number;
  expiresIn?: number;
  job?: string;
  label: string;
}

/** `nonces create|list|revoke`: single-purpose credentials passed as `?x-nonce=` (stored hashed). */
export function registerNonces(program: Command, invocation: Invocation): void {
  const nonces = program
    .command('nonces')
    .description('manage nonces: limited credentials passed as the x-nonce URL parameter');

  nonces
    .command('create')
    .description('create a nonce and print it (only this once: it is stored hashed)')
    .addOption(new Option('--role <role>', 'what the nonce may do').choices(ROLES).default('reporter'))
    .option(
      '--max-uses <n>',
      'how many requests it may authenticate (default: unlimited)',
      wholeNumber(1, 2 ** 31 - 1),
    )
    .option('--expires-in <duration>', 'lifetime, e.g. 30s, 15m, 12h, 7d (default: never expires)', duration)
    .option('--job <uuid>', 'limit it to one job (107...)')
    .option('--label <label>', 'a note saying who or what uses the nonce', '')
    .action(async (options: CreateOptions, command: Command) => {
      const jobUuid = options.job === undefined ? null : jobUuidInput(options.job);
      const change = { what: 'the new nonce', check: 'pipelinejobs nonces list' };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const { nonce, record } = await createNonce(services, operator, {
          role: options.role,
          maxUses: options.maxUses ?? null,
          expiresInSeconds: options.expiresIn ?? null,
          jobUuid,
          label: options.label,
        });
        out.result({ nonce, ...nonceDocument(record) }, () => {
          out.line(nonce);
          out.note(
            `Nonce ${record.prefix} (role ${record.role}) created. It is shown only this once; ` +
              'pass it as the URL parameter  ?x-nonce=<nonce>',
          );
        });
      });
    });

  registerListAndRevoke(nonces, invocation, {
    noun: 'nonce',
    listDescription: 'list nonces (prefix, role, uses, expiry, job; never the nonces themselves)',
    empty: 'No nonces.',
    revokeDescription: 'revoke a nonce at once',
    revokeArgument: 'the nonce id, or the prefix shown by `nonces list`',
    list: listNonces,
    revoke: revokeNonce,
    document: nonceDocument,
    table: nonceTable,
  });
}
