import { eventInput, jobUuidInput, sendEvent } from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Invocation } from '../invocation.js';
import { eventData } from '../json-input.js';
import { withServicesChanging } from '../session.js';
import { STATE_COLORS } from '../state-colors.js';

interface SendOptions {
  data?: string;
  token?: string;
  idempotencyKey?: string;
}

/**
 * `send`: the same locked transition and authorisation as the Manager (service `sendEvent`), so a
 * job token or an admin token is required here too; the history records the source `cli`.
 */
export function registerSend(program: Command, invocation: Invocation): void {
  program
    .command('send')
    .description('send an event to a job: checks its token, moves it through the state machine, records it')
    .argument('<uuid>', 'the job UUID (107...)')
    .argument('<event>', 'the event name, e.g. run, update, finish (see `pipelinejobs fsm`)')
    .option('--data <json>', "the event's data: a JSON object, or @file.json (@- reads stdin)")
    .option(
      '--token <token>',
      'the job token (printed by `jobs create`) or an admin token: --token "$(pipelinejobs admin-token)"',
    )
    .option(
      '--idempotency-key <key>',
      'the same key on the same job returns the first result and writes nothing',
    )
    .action(async (uuid: string, event: string, options: SendOptions, command: Command) => {
      const jobUuid = jobUuidInput(uuid);
      const name = eventInput(event, '/event');
      const data = await eventData(options.data, invocation.io);
      const change = { what: 'the event', check: `pipelinejobs jobs history ${jobUuid}` };
      await withServicesChanging(invocation, command, change, async ({ services, out, operator }) => {
        const { outcome, replayed } = await sendEvent(services, operator, {
          jobUuid,
          event: name,
          token: options.token,
          data,
          idempotencyKey: options.idempotencyKey,
          source: 'cli',
        });
        out.result({ ...outcome, replayed }, () => {
          const { event: e, job } = outcome;
          const to = out.style[STATE_COLORS[e.to]](e.to);
          out.line(`${job.uuid}: ${e.name} #${e.seq} ${e.from} -> ${to}`);
          if (replayed) out.note('Replayed: this idempotency key was used before; nothing was written.');
        });
      });
    });
}
