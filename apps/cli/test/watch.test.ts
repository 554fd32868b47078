import type { ChildProcess } from 'node:child_process';
import { fixturePath, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliResult, json, spawnCli, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

function ok(result: CliResult): CliResult {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

/** Watch processes still running: a test that failed before its Ctrl-C leaves none behind. */
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** `pipelinejobs watch ...` as a real process; `lines` waits for that many lines of stdout. */
function watch(args: string[]) {
  let child: ChildProcess | undefined;
  let stdout = '';
  const done = spawnCli(['watch', ...args, '--database-url', cli.url()], {
    started: (c) => {
      child = c;
      running.add(c);
      c.once('exit', () => running.delete(c));
      c.stdout?.on('data', (chunk: Buffer | string) => {
        stdout += String(chunk);
      });
    },
  });
  return {
    done,
    async lines(n: number) {
      const deadline = Date.now() + 20_000;
      while (stdout.split('\n').filter(Boolean).length < n) {
        if (Date.now() > deadline) throw new Error(`waited for ${n} lines, got:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return stdout.split('\n').filter(Boolean);
    },
    interrupt: () => child?.kill('SIGINT'),
  };
}

describe('pipelinejobs watch', () => {
  it("prints a job's history, then each event as it is sent, one JSON line each, and exits 130 on Ctrl-C", async () => {
    ok(await cli(['pipelines', 'add', fixturePath('sd2e/pipelines/tacobot.json')]));
    const job = json(ok(await cli(['jobs', 'create', fixturePath('sd2e/jobs/tacobot.json'), '--json'])));
    const watcher = watch([TACOBOT_JOB, '--json']);
    const first = await watcher.lines(1);
    expect(JSON.parse(first[0] as string)).toMatchObject({ id: '1', event: 'create', data: { seq: 1 } });
    for (const event of ['run', 'update', 'update', 'finish']) {
      ok(await cli(['send', TACOBOT_JOB, event, '--token', String(job.token)]));
    }
    const lines = await watcher.lines(5);
    watcher.interrupt();
    const result = await watcher.done;
    expect(result.code).toBe(130);
    const events = lines.map(
      (line) => JSON.parse(line) as { id: string; event: string; data: { seq: number } },
    );
    expect(events.map((e) => [e.id, e.event])).toEqual([
      ['1', 'create'],
      ['2', 'run'],
      ['3', 'update'],
      ['4', 'update'],
      ['5', 'finish'],
    ]);
  });

  it('watches every job from now as a table, filtered by event', async () => {
    const watcher = watch(['--event', 'create']);
    // The header first: the stream is open.
    expect((await watcher.lines(1))[0]).toMatch(/^JOB\s+SEQ\s+EVENT\s+FROM\s+TO\s+SOURCE\s+WHEN\s+DATA$/);
    const job = json(
      ok(
        await cli(['jobs', 'create', '-', '--json'], {
          input: JSON.stringify({ pipeline_uuid: TACOBOT_PIPELINE, child_of: [], data: { watch: 1 } }),
        }),
      ),
    );
    const lines = await watcher.lines(2);
    watcher.interrupt();
    expect((await watcher.done).code).toBe(130);
    expect(lines[1]).toMatch(new RegExp(`^${job.uuid}\\s+1\\s+create\\s+CREATED\\s+CREATED\\s+create\\s`));
  });

  it('refuses filters with a job UUID and a bad resume point as usage errors', async () => {
    const both = await cli(['watch', TACOBOT_JOB, '--state', 'FINISHED']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--pipeline, --state and --event filter every job's events/);
    const bad = await cli(['watch', '--state', 'RUNING']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'RUNING' is not a state/);
  });
});
