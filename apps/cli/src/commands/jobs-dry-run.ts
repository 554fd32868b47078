import { LOCAL_OPERATOR } from '@pipelinejobs/auth';
import { dryRunEvent } from '@pipelinejobs/service';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { withServices } from '../session.js';
import { jobUuidArgument } from '../typed-uuids.js';

export function registerJobsDryRun(jobs: Command): void {
  jobs
    .command('dry-run')
    .description(
      'would the job accept this event now, and to which state? Writes nothing; exits 5 when it would be refused',
    )
    .argument('<uuid>', 'the job UUID (107...)')
    .argument('<event>', 'the event name (see `pipelinejobs fsm`)')
    .action(async (uuid: string, event: string, _options: unknown, command: Command) => {
      const id = jobUuidArgument(uuid);
      await withServices(command, async ({ services, out }) => {
        const result = await dryRunEvent(services, LOCAL_OPERATOR, id, event);
        out.result(result, () => {
          if (result.accepted) {
            out.line(`${result.event}: accepted, ${result.from} -> ${out.style.bold(result.to ?? '')}`);
          } else {
            out.line(`${result.event}: ${out.style.red('refused')}: ${result.reason}`);
          }
        });
        // Scripts can test the answer with `if pipelinejobs jobs dry-run ...; then`.
        if (!result.accepted) process.exitCode = EXIT.refused;
      });
    });
}
