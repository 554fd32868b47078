import { type EventCommand, parseInbound } from '../src/index.js';

/** What parseInbound makes of a request the test expects to be an event; throws on anything else. */
export function eventOf(
  body: unknown,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): EventCommand {
  const command = parseInbound({ body, query, headers });
  if (command.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(command)}`);
  return command;
}
