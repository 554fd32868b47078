import type { Command } from 'commander';
import type { Style } from '../ansi.js';
import type { Invocation } from '../invocation.js';
import { type Session, withServices } from '../session.js';

/** One record by its UUID: how to parse the argument, read the record and draw it. */
interface ShowSpec<Id, Item> {
  readonly description: string;
  /** The argument's help text, e.g. 'the job UUID (107...)'. */
  readonly uuidHelp: string;
  readonly parse: (uuid: string) => Id;
  readonly read: (session: Session, id: Id) => Promise<Item>;
  readonly details: (item: Item, style: Style) => string;
}

/** `<parent> show <uuid>`: the argument parsed before the database is opened, then one read. */
export function registerShow<Id, Item>(
  parent: Command,
  invocation: Invocation,
  spec: ShowSpec<Id, Item>,
): void {
  parent
    .command('show')
    .description(spec.description)
    .argument('<uuid>', spec.uuidHelp)
    .action(async (uuid: string, _options: unknown, command: Command) => {
      const id = spec.parse(uuid);
      await withServices(invocation, command, async (session) => {
        const item = await spec.read(session, id);
        session.out.result(item, () => session.out.line(spec.details(item, session.out.style)));
      });
    });
}
