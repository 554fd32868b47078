import { TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { json, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

interface SubscriptionDocument {
  id: string;
  url: string;
  filter: Record<string, unknown>;
  enabled: boolean;
  secret?: string;
  previous_secret_until: string | null;
}

describe('subscriptions', () => {
  it('creates one with a filter, prints the secret once, lists and shows it without the secret', async () => {
    const created = json<SubscriptionDocument>(
      await cli([
        'subscriptions',
        'create',
        '--url',
        'https://hooks.example.org/pj',
        '--pipeline',
        TACOBOT_PIPELINE,
        '--state',
        'FINISHED',
        '--state',
        'FAILED',
        '--json',
      ]),
    );
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.filter).toEqual({ pipeline_uuid: TACOBOT_PIPELINE, states: ['FINISHED', 'FAILED'] });
    const listed = await cli(['subscriptions', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('https://hooks.example.org/pj');
    expect(listed.stdout).toContain('states=FINISHED,FAILED');
    expect(listed.stdout).not.toContain(String(created.secret));
    const shown = await cli(['subscriptions', 'show', created.id]);
    expect(shown.stdout).toContain('enabled');
    expect(shown.stdout).not.toContain(String(created.secret));
  });

  it('prints only the secret on stdout in human mode, so SECRET=$(...) works', async () => {
    const result = await cli(['subscriptions', 'create', '--url', 'https://hooks.example.org/only']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^whsec_\S+\n$/);
  });

  it('disables, rotates the secret, replays and deletes; a bad id or state is refused', async () => {
    const { id } = json<SubscriptionDocument>(
      await cli(['subscriptions', 'create', '--url', 'https://hooks.example.org/x', '--json']),
    );
    const disabled = json<SubscriptionDocument>(
      await cli(['subscriptions', 'update', id, '--disable', '--json']),
    );
    expect(disabled.enabled).toBe(false);
    const rotated = json<SubscriptionDocument>(
      await cli(['subscriptions', 'update', id, '--rotate-secret', '--json']),
    );
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.previous_secret_until).toEqual(expect.any(String));
    const replayed = json<{ queued: number }>(
      await cli(['subscriptions', 'replay', id, '--since', '2020-01-01T00:00:00Z', '--json']),
    );
    expect(replayed).toEqual({ queued: 0 });
    expect((await cli(['subscriptions', 'deliveries', id])).stdout).toContain('No attempts yet.');
    expect((await cli(['subscriptions', 'delete', id])).code).toBe(0);
    expect((await cli(['subscriptions', 'show', id])).code).toBe(4);
    expect((await cli(['subscriptions', 'show', 'nope'])).code).toBe(3);
    const bad = await cli([
      'subscriptions',
      'create',
      '--url',
      'https://hooks.example.org/',
      '--state',
      'DONE',
    ]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('states');
  });
});
