import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRANSITION_PARAMETERS, TRANSITION_SQL } from '@pipelinejobs/storage';
import { benchJobUuidSql, HOT_JOB } from './job-ids.js';
import type { RunResult, Target } from './run-result.js';
import { Samples } from './stats.js';

/** pgbench from PATH-independent well-known places first, then PATH; undefined when absent. */
export function findPgbench(): string | undefined {
  const candidates = ['/usr/bin/pgbench', '/usr/local/bin/pgbench'];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'pgbench'));
  return candidates.find((path) => existsSync(path));
}

const pickJob = (target: Target) =>
  target.kind === 'hot' ? `\\set n ${HOT_JOB}` : `\\set n random(1, ${target.jobs})`;

/**
 * The locked transaction a hand-written service would run, as a pgbench script: BEGIN; lock the
 * job row reading what the Manager reads; update the job from the values read under the lock
 * (version + 1 is the new seq); insert the history row; COMMIT. Five round trips, the row lock
 * held across three of them. Run with `-M prepared` because postgres.js prepares its statements too.
 */
function lockedScript(target: Target): string {
  const uuid = benchJobUuidSql(':n');
  return `${pickJob(target)}
BEGIN;
SELECT state, token_version, visible, version, date_trunc('milliseconds', now()) AS now FROM jobs WHERE uuid = ${uuid} FOR UPDATE \\gset
UPDATE jobs SET state = :state, last_event = 'update', version = :version + 1, updated_at = :now, state_since = CASE WHEN state = :state THEN state_since ELSE :now::timestamptz END WHERE uuid = ${uuid};
INSERT INTO job_events (job_uuid, seq, uuid, name, from_state, to_state, data, source, idempotency_key, response, created_at) VALUES (${uuid}, :version + 1, '108' || substr(gen_random_uuid()::text, 4), 'update', :state, :state, NULL, 'json', NULL, NULL, :now);
COMMIT;
`;
}

/** What the bench sends for each parameter of the Manager's statement: an `update` event, no key. */
const ONE_STATEMENT_VALUES: Record<(typeof TRANSITION_PARAMETERS)[number], string> = {
  job_uuid: benchJobUuidSql(':n'),
  token_version: '1',
  event: "'update'",
  event_uuid: "'108' || substr(gen_random_uuid()::text, 4)",
  data: 'NULL',
  source: "'json'",
  idempotency_key: 'NULL',
  request_fingerprint: 'NULL',
  principal_kind: "'api_key'",
  principal_id: "'pgbench'",
};

/**
 * pgbench takes every `:name` for a variable, inside string literals too (the statement's date
 * format, 'HH24:MI:SS'): each colon of a literal is written as chr(58) instead, a constant the
 * planner folds.
 */
function withoutLiteralColons(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, (literal) =>
    literal.includes(':') ? `(${literal.replaceAll(':', "' || chr(58) || '")})` : literal,
  );
}

/**
 * The Manager's own transition statement (storage's TRANSITION_SQL, the very text), each `$n`
 * replaced by what the bench sends for that parameter: one round trip per event.
 */
function oneStatementScript(target: Target): string {
  const statement = TRANSITION_SQL.replace(/\$(\d+)/g, (_, n: string) => {
    const name = TRANSITION_PARAMETERS[Number(n) - 1];
    if (name === undefined) throw new Error(`TRANSITION_SQL names $${n}, which has no parameter`);
    return `(${ONE_STATEMENT_VALUES[name]})`;
  });
  return `${pickJob(target)}\n${withoutLiteralColons(statement)
    .replace(/\s*\n\s*/g, ' ')
    .trim()};\n`;
}

function runProcess(
  bin: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface PgbenchRun {
  /** `pgbench` runs the locked transaction, `pgbench-one` the Manager's one statement. */
  engine: 'pgbench' | 'pgbench-one';
  bin: string;
  url: string;
  target: Target;
  clients: number;
  seconds: number;
  /** Transactions per second to schedule (pgbench --rate); default as many as it can. */
  rate?: number;
}

/**
 * One pgbench run. Latencies come from pgbench's per-transaction log (`-l`), so p50/p99 are
 * computed from raw samples exactly as for the Manager; events/s is pgbench's own tps (without
 * the initial connection time).
 */
export async function runPgbench(run: PgbenchRun): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pj-pgbench-'));
  try {
    const script = run.engine === 'pgbench' ? lockedScript(run.target) : oneStatementScript(run.target);
    writeFileSync(join(dir, 'transition.sql'), script);
    // Two threads at most: the machine has two cores and pgbench's client is cheap.
    const threads = Math.min(run.clients, 2);
    const args = [
      '--no-vacuum',
      '--protocol=prepared',
      `--client=${run.clients}`,
      `--jobs=${threads}`,
      `--time=${run.seconds}`,
      ...(run.rate === undefined ? [] : [`--rate=${run.rate.toFixed(1)}`]),
      `--file=transition.sql`,
      '--log',
      '--log-prefix=tx',
      run.url,
    ];
    const started = performance.now();
    const { code, stdout, stderr } = await runProcess(run.bin, args, dir);
    const wallSeconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`pgbench exited with ${code}:\n${stderr.trim()}\n${stdout.trim()}`);
    const tps = Number(/^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout)?.[1]);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? 0);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    const samples = new Samples();
    for (const file of readdirSync(dir).filter((f) => f.startsWith('tx.'))) {
      // Per line: client_id transaction_no time(us) script_no time_epoch time_us [...]
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const micros = line.split(' ')[2];
        if (micros !== undefined) samples.push(Number(micros) / 1000);
      }
    }
    const [p50 = Number.NaN, p99 = Number.NaN] = samples.percentiles(50, 99);
    return {
      engine: run.engine,
      events: processed,
      seconds: processed / tps,
      wallSeconds,
      eventsPerSecond: tps,
      p50,
      p99,
      errors: failed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
