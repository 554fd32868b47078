import { dryRunEvent, jobUuidInput } from '@pipelinejobs/service';
import type { Command } from 'commander';
import { EXIT_CODES } from '../exit-codes.js';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';

export function registerJobsDryRun(jobs: Command, invocation: Invocation): void {
  jobs
    .command('dry-run')
    .description(
      'would sending this event with this token be accepted now, and to which state? Writes nothing; ' +
        'when it would be refused, exits with the code sending would (5 refused by the state machine, 6 token, ...)',
    )
    .argument('<uuid>', 'the job UUID (107...)')
    .argument('<event>', 'the event name (see `pipelinejobs fsm`)')
    .option(
      '--token <token>',
      'the job token or an admin token, as `send` would take it: --token "$(pipelinejobs admin-token)"',
    )
    .action(async (uuid: string, event: string, options: { token?: string }, command: Command) => {
      const id = jobUuidInput(uuid);
      await withServices(invocation, command, async ({ services, out, operator }) => {
        const result = await dryRunEvent(services, operator, { jobUuid: id, event, token: options.token });
        if (result.accepted) {
          out.result(result, () => {
            out.line(`${result.event}: accepted, ${result.from} -> ${out.style.bold(result.to)}`);
          });
          return;
        }
        const { refusal, ...rest } = result;
        out.result({ ...rest, code: refusal.code, reason: refusal.message, ...refusal.details }, () => {
          out.line(`${result.event}: ${out.style.red('refused')}: ${refusal.message}`);
        });
        // Scripts can test the answer with `if pipelinejobs jobs dry-run ...; then`.
        invocation.exitCode = EXIT_CODES[refusal.code];
      });
    });
}
