import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** What the numbers were measured on; printed above the tables and stored in the JSON. */
export function machine(postgresVersion: string, serverKind: string, pgbench: string | undefined) {
  let pgbenchVersion: string | undefined;
  if (pgbench) {
    try {
      pgbenchVersion = execFileSync(pgbench, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      pgbenchVersion = undefined;
    }
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: `${postgresVersion} (${serverKind})`,
    pgbench: pgbenchVersion ?? 'not found',
  };
}
