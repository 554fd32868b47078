import { createRequire } from 'node:module';
import { Command } from 'commander';
import { colorWanted } from './ansi.js';
import { registerAdminToken } from './commands/admin-token.js';
import { registerFsm } from './commands/fsm.js';
import { registerJobs } from './commands/jobs.js';
import { registerKeys } from './commands/keys.js';
import { registerMigrate } from './commands/migrate.js';
import { registerNonces } from './commands/nonces.js';
import { registerPipelines } from './commands/pipelines.js';
import { registerSend } from './commands/send.js';
import { registerSettings } from './commands/settings.js';
import { registerSubscriptions } from './commands/subscriptions.js';
import { registerWatch } from './commands/watch.js';
import { exitCodesHelp } from './exit-codes.js';
import type { Invocation } from './invocation.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL                 PostgreSQL URL (--database-url wins); without it, the embedded
                               PostgreSQL in PIPELINEJOBS_DATA_DIR (default ./.pipelinejobs),
                               shared with a Manager running on the same directory
  PIPELINEJOBS_SECRET          server secret, required with DATABASE_URL (job and admin tokens
                               derive from it); the embedded default keeps one in its data directory
  PIPELINEJOBS_ADMIN_KEY       admin token key; PIPELINEJOBS_ADMIN_TOKEN_LIFETIME its window (s)
  PIPELINEJOBS_DB_SCHEMA       the PostgreSQL schema of the tables (default public); the Manager's
  PIPELINEJOBS_MIGRATE         auto (default: apply pending migrations on open), check (refuse
                               while any is pending), off; \`migrate\` applies them whatever it says
  NO_COLOR                     no colour (as --no-color); COLUMNS the width of tables
`;

/**
 * The `pipelinejobs` command tree, new for each run. Options declared here are global: accepted
 * before or after the subcommand and listed in every subcommand's --help. Commander writes its
 * help, version and usage errors to the run's io, not to the process.
 */
export function createProgram(invocation: Invocation): Command {
  const { stdout, stderr, env } = invocation.io;
  const program = new Command('pipelinejobs')
    .description(
      'PipelineJobs Manager command line: pipelines, jobs, events, keys and nonces on the database',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else the embedded PostgreSQL)')
    .option('--json', 'machine output: exactly one JSON document on stdout')
    .option('--no-color', 'no colour in human output (also NO_COLOR)')
    .helpOption('-h, --help', 'show help for the command')
    .helpCommand('help [command]', 'show help for a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    // Usage errors become exceptions, so main decides the exit code (2) in one place.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      outputError: (message, write) => write(`${message.trimEnd()} (see --help)\n`),
      getOutHelpWidth: () => (stdout.isTTY && stdout.columns) || 80,
      getErrHelpWidth: () => (stderr.isTTY && stderr.columns) || 80,
      getOutHasColors: () => colorWanted(stdout, env, true),
      getErrHasColors: () => colorWanted(stderr, env, true),
    })
    .addHelpText('after', `${ENVIRONMENT_HELP}${exitCodesHelp()}`);

  registerMigrate(program, invocation);
  registerPipelines(program, invocation);
  registerJobs(program, invocation);
  registerSend(program, invocation);
  registerWatch(program, invocation);
  registerAdminToken(program, invocation);
  registerKeys(program, invocation);
  registerNonces(program, invocation);
  registerSubscriptions(program, invocation);
  registerSettings(program, invocation);
  registerFsm(program, invocation);
  return program;
}
