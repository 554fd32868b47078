import { fixturePath, loadFixture, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { type CliResult, json, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();
let token: string;

const eventData = (name: string) =>
  JSON.stringify(loadFixture<{ data: unknown }>(`sd2e/jobs/tacobot-${name}.json`).data);

function ok(result: CliResult): CliResult {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

describe('the tacobot lifecycle through the CLI', () => {
  it('registers the tacobot pipeline under its catalog UUID', async () => {
    const pipeline = json(
      ok(await cli(['pipelines', 'add', fixturePath('sd2e/pipelines/tacobot.json'), '--json'])),
    );
    expect(pipeline.uuid).toBe(TACOBOT_PIPELINE);
    expect(pipeline.created).toBe(true);
  });

  it('creates the tacobot job under its catalog UUID and prints its token', async () => {
    const job = json(ok(await cli(['jobs', 'create', fixturePath('sd2e/jobs/tacobot.json'), '--json'])));
    expect(job.uuid).toBe(TACOBOT_JOB);
    expect(job.state).toBe('CREATED');
    expect(job.token).toMatch(/^[0-9a-f]{16}$/);
    token = String(job.token);
  });

  it('creating the same job again returns it with the same token and no second create entry', async () => {
    const again = json(ok(await cli(['jobs', 'create', fixturePath('sd2e/jobs/tacobot.json'), '--json'])));
    expect(again).toMatchObject({ uuid: TACOBOT_JOB, token, created: false });
  });

  it('moves the job CREATED -> RUNNING -> FINISHED with run, update, resource, finish', async () => {
    const expected = [
      ['run', 'RUNNING'],
      ['update', 'RUNNING'],
      ['resource', 'RUNNING'],
      ['finish', 'FINISHED'],
    ] as const;
    for (const [event, state] of expected) {
      const sent = await cli([
        'send',
        TACOBOT_JOB,
        event,
        '--data',
        eventData(event),
        '--token',
        token,
        '--json',
      ]);
      const outcome = json<{ job: { state: string }; event: { name: string }; replayed: boolean }>(ok(sent));
      expect(outcome.job.state).toBe(state);
      expect(outcome.event.name).toBe(event);
      expect(outcome.replayed).toBe(false);
    }
  });

  it('records five history entries, seq 1..5, ending FINISHED, with the data sent', async () => {
    const history = json<{
      items: { seq: number; name: string; to: string; source: string; data: unknown }[];
    }>(ok(await cli(['jobs', 'history', TACOBOT_JOB, '--json'])));
    expect(history.items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(history.items.map((e) => e.name)).toEqual(['create', 'run', 'update', 'resource', 'finish']);
    expect(history.items.at(-1)?.to).toBe('FINISHED');
    expect(history.items.slice(1).every((e) => e.source === 'cli')).toBe(true);
    expect(history.items[2]?.data).toEqual(
      loadFixture<{ data: unknown }>('sd2e/jobs/tacobot-update.json').data,
    );
  });

  it('takes job and pipeline UUIDs in any letter case', async () => {
    const shown = json<{ uuid: string }>(
      ok(await cli(['jobs', 'show', TACOBOT_JOB.toUpperCase(), '--json'])),
    );
    expect(shown.uuid).toBe(TACOBOT_JOB);
    const listed = json<{ items: { uuid: string }[] }>(
      ok(
        await cli([
          'jobs',
          'list',
          '--pipeline',
          TACOBOT_PIPELINE.toUpperCase(),
          '--state',
          'finished',
          '--json',
        ]),
      ),
    );
    expect(listed.items.map((j) => j.uuid)).toContain(TACOBOT_JOB);
  });

  it('refuses run after FINISHED with exit 5, naming the state and the allowed events', async () => {
    const refused = await cli(['send', TACOBOT_JOB, 'run', '--token', token]);
    expect(refused.code).toBe(5);
    expect(refused.stdout).toBe('');
    const lines = refused.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain('FINISHED');
    for (const event of ['finish', 'index', 'indexed', 'validate', 'retire', 'reset']) {
      expect(lines[0]).toContain(event);
    }
  });

  it('refuses a wrong token with exit 6 and one error line', async () => {
    const refused = await cli(['send', TACOBOT_JOB, 'update', '--token', '0000000000000000']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^error: .*token.*\n$/);
    expect(refused.stderr).not.toContain(token);
  });

  it('refuses an event without a token, saying to pass --token', async () => {
    const refused = await cli(['send', TACOBOT_JOB, 'update']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain('--token');
  });

  it('accepts an admin token from `admin-token` in place of the job token', async () => {
    const admin = ok(await cli(['admin-token'])).stdout.trim();
    expect(admin).toMatch(/^[0-9a-f]{16}$/);
    const sent = json<{ job: { state: string } }>(
      ok(await cli(['send', TACOBOT_JOB, 'validate', '--token', admin, '--json'])),
    );
    expect(sent.job.state).toBe('VALIDATING');
  });

  it('replays an idempotency key instead of writing twice', async () => {
    const args = ['send', TACOBOT_JOB, 'update', '--token', token, '--idempotency-key', 'k-1', '--json'];
    const first = json<{ event: { seq: number }; replayed: boolean }>(ok(await cli(args)));
    const second = json<{ event: { seq: number }; replayed: boolean }>(ok(await cli(args)));
    expect(second.event.seq).toBe(first.event.seq);
    expect([first.replayed, second.replayed]).toEqual([false, true]);
  });

  it('answers not found (4), invalid UUID (3) and unknown event (3) with one line each', async () => {
    const missing = await cli(['jobs', 'show', TACOBOT_JOB.replace(/5$/, '6')]);
    expect(missing.code).toBe(4);
    const malformed = await cli(['jobs', 'show', 'not-a-uuid']);
    expect(malformed.code).toBe(3);
    expect(malformed.stderr).toBe("error: 'not-a-uuid' is not a job UUID (107...)\n");
    const unknown = await cli(['send', TACOBOT_JOB, 'frobnicate', '--token', token]);
    expect(unknown.code).toBe(3);
    const badData = await cli(['send', TACOBOT_JOB, 'update', '--token', token, '--data', '[1, 2]']);
    expect(badData.code).toBe(3);
    expect(badData.stderr).toContain('--data must be a JSON object');
  });

  it('shows the job in a human table with its state', async () => {
    const listed = ok(await cli(['jobs', 'list', '--no-color']));
    const [header, row] = listed.stdout.split('\n');
    expect(header).toMatch(/^UUID\s+STATE\s+LAST EVENT\s+PIPELINE\s+UPDATED$/);
    expect(row).toMatch(
      new RegExp(`^${TACOBOT_JOB}\\s+VALIDATING\\s+update\\s+${TACOBOT_PIPELINE}\\s+(just now|\\d+ s ago)$`),
    );
    // Not a terminal: no colour codes even without --no-color.
    expect((await cli(['jobs', 'list'])).stdout).not.toContain('\u001b[');
  });

  it('needs an admin token to delete, and then the job is gone (4)', async () => {
    expect((await cli(['jobs', 'delete', TACOBOT_JOB, '--token', token])).code).toBe(6);
    const admin = ok(await cli(['admin-token'])).stdout.trim();
    const deleted = json(ok(await cli(['jobs', 'delete', TACOBOT_JOB, '--token', admin, '--json'])));
    expect(deleted).toEqual({ uuid: TACOBOT_JOB, deleted: 'soft' });
    const gone = await cli(['send', TACOBOT_JOB, 'update', '--token', token]);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toContain('deleted');
  });
});
