import { fixturePath, TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { json, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

describe('--json', () => {
  it('makes every command print exactly one JSON document on stdout', async () => {
    const admin = json<{ token: string; valid_until: string }>(await cli(['admin-token', '--json']));
    expect(admin.token).toMatch(/^[0-9a-f]{16}$/);
    expect(new Date(admin.valid_until).getTime()).toBeGreaterThan(Date.now());

    const pipeline = fixturePath('sd2e/pipelines/tacobot.json');
    const job = fixturePath('sd2e/jobs/tacobot.json');
    // Run in order: later commands use what earlier ones created.
    const commands: string[][] = [
      ['migrate'],
      ['pipelines', 'add', pipeline],
      ['pipelines', 'list'],
      ['pipelines', 'show', TACOBOT_PIPELINE],
      ['jobs', 'create', job],
      ['jobs', 'list'],
      ['jobs', 'list', '--all', '--limit', '1'],
      [
        'jobs',
        'list',
        '--state',
        'CREATED',
        '--pipeline',
        TACOBOT_PIPELINE,
        '--since',
        '2020-01-01T00:00:00Z',
      ],
      ['jobs', 'show', TACOBOT_JOB],
      ['jobs', 'dry-run', TACOBOT_JOB, 'run', '--token', admin.token],
      ['send', TACOBOT_JOB, 'run', '--token', admin.token, '--data', '{"progress": "10%"}'],
      ['jobs', 'history', TACOBOT_JOB],
      ['jobs', 'history', TACOBOT_JOB, '--all', '--limit', '1'],
      ['jobs', 'rotate-token', TACOBOT_JOB, '--token', admin.token],
      ['admin-token'],
      ['keys', 'create', '--role', 'reader', '--label', 'json test'],
      ['keys', 'list'],
      ['nonces', 'create', '--max-uses', '2', '--expires-in', '15m', '--job', TACOBOT_JOB],
      ['nonces', 'list'],
      ['fsm'],
      ['fsm', '--format', 'mermaid'],
      ['fsm', '--format', 'dot'],
      ['fsm', '--format', 'svg'],
      ['fsm', '--format', 'json'],
      ['jobs', 'delete', TACOBOT_JOB, '--force', '--token', admin.token],
    ];
    const outputs = new Map<string, Record<string, unknown>>();
    for (const args of commands) {
      const result = await cli([...args, '--json']);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      outputs.set(args.slice(0, 2).join(' '), json(result));
    }
    for (const group of ['keys', 'nonces']) {
      const created = outputs.get(`${group} create`);
      const revoked = await cli([group, 'revoke', String(created?.prefix), '--json']);
      expect(revoked.code).toBe(0);
      expect(json(revoked)).toMatchObject({ id: created?.id, revoked: expect.any(String) });
    }
    expect(outputs.get('jobs list')?.items).toEqual(expect.any(Array));
    expect(outputs.get('fsm --format')?.initial).toBe('CREATED');
  });

  it('is accepted before the subcommand as well', async () => {
    const result = await cli(['--json', 'fsm']);
    expect(json(result).initial).toBe('CREATED');
  });

  it('wraps a drawing so the output is still one JSON document', async () => {
    const drawn = json<{ format: string; text: string }>(await cli(['fsm', '--format', 'dot', '--json']));
    expect(drawn.format).toBe('dot');
    expect(drawn.text).toMatch(/^digraph /);
  });

  it('prints a JSON error document on stdout on an error; its line goes to stderr', async () => {
    const result = await cli(['jobs', 'show', TACOBOT_JOB, '--json']);
    expect(result.code).toBe(4);
    expect(json(result)).toMatchObject({ error: { code: 'not_found', exit_code: 4 } });
    expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  });
});
