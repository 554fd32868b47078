import { abMode } from './ab-mode.js';
import { Cleanup } from './cleanup.js';
import { startServer } from './database.js';
import { defaultMode } from './default-mode.js';
import { machine } from './machine.js';
import { parseOptions } from './options.js';
import { findPgbench } from './pgbench.js';
import { scaleMode } from './scale-mode.js';

/**
 * `pnpm bench`: the Manager over HTTP against pgbench running the same transition SQL on the same
 * PostgreSQL at the same concurrency. `pnpm bench --scale`: the same measurement at 10k, 100k and
 * 1M jobs. The targets and how each is measured: bench/README.md.
 */
async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: cleaning up (Manager, bench database, embedded server)\n`);
    void cleanup.runAll().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const server = await startServer(options.databaseUrl, log);
    cleanup.add('stop the embedded PostgreSQL', server.stop);
    const pgbench = findPgbench();
    if (!pgbench)
      log('pgbench not found (looked in /usr/bin, /usr/local/bin and PATH): the pgbench rows are skipped');
    const about = machine(server.version, server.kind, pgbench);
    log(
      `machine: ${about.cores} cores (${about.cpu}), ${about.memoryGiB} GiB, Node ${about.node}, ` +
        `PostgreSQL ${about.postgres}, ${about.pgbench}`,
    );
    const ctx = { options, server, pgbench, cleanup, machine: about, log };
    if (options.ab !== undefined) await abMode(ctx, options.ab);
    else if (options.scale) await scaleMode(ctx);
    else await defaultMode(ctx);
  } finally {
    await cleanup.runAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
