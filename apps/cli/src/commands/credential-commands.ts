import type { Principal, Services } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Style } from '../ansi.js';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';

/** One kind of stored credential (API keys, nonces) as its `list` and `revoke` commands show it. */
interface CredentialCommands<R, D extends { prefix: string; role: string }> {
  /** `API key`, `nonce`: in the revoke message. */
  noun: string;
  listDescription: string;
  /** The line printed when there is none. */
  empty: string;
  revokeDescription: string;
  /** Says what `<id-or-prefix>` is. */
  revokeArgument: string;
  list: (services: Services, operator: Principal) => Promise<R[]>;
  revoke: (
    services: Services,
    operator: Principal,
    idOrPrefix: string,
    options: { force: boolean },
  ) => Promise<R>;
  /** What `revoke --force` does, when this kind has one. */
  forceDescription?: string;
  document: (record: R) => D;
  table: (items: D[], style: Style, width: number | undefined) => string;
  /** What the revoke message adds after the role (the label, for keys). */
  revokedDetail?: (document: D) => string;
}

/** `list` and `revoke <id-or-prefix>`: the same two commands for every kind of credential. */
export function registerListAndRevoke<R, D extends { prefix: string; role: string }>(
  group: Command,
  invocation: Invocation,
  kind: CredentialCommands<R, D>,
): void {
  group
    .command('list')
    .description(kind.listDescription)
    .action(async (_options: unknown, command: Command) => {
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const items = (await kind.list(services, operator)).map(kind.document);
        out.result({ items }, () =>
          out.line(items.length === 0 ? kind.empty : kind.table(items, out.style, out.width)),
        );
      });
    });

  const revoke = group
    .command('revoke')
    .description(kind.revokeDescription)
    .argument('<id-or-prefix>', kind.revokeArgument);
  if (kind.forceDescription) revoke.option('--force', kind.forceDescription);
  revoke.action(async (idOrPrefix: string, options: { force?: boolean }, command: Command) => {
    await withServices(invocation, command, async ({ services, out, operator }) => {
      const revoked = kind.document(
        await kind.revoke(services, operator, idOrPrefix, { force: options.force === true }),
      );
      const detail = kind.revokedDetail?.(revoked) ?? '';
      out.result(revoked, () =>
        out.line(`Revoked ${kind.noun} ${revoked.prefix} (role ${revoked.role}${detail}).`),
      );
    });
  });
}
