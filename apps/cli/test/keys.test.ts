import { TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { json, useTestDatabaseCli } from './run-cli.js';

const cli = useTestDatabaseCli();

interface KeyDocument {
  id: string;
  prefix: string;
  role: string;
  label: string;
  revoked: string | null;
  key?: string;
}

describe('keys', () => {
  it('creates a key, prints it once, and lists it without the key', async () => {
    const created = json<KeyDocument>(
      await cli(['keys', 'create', '--role', 'reporter', '--label', 'ci', '--json']),
    );
    expect(created.key).toMatch(/^pjm_/);
    expect(created).toMatchObject({ role: 'reporter', label: 'ci', revoked: null });
    expect(created.key?.startsWith(created.prefix)).toBe(true);

    const listed = await cli(['keys', 'list', '--json']);
    const { items } = json<{ items: KeyDocument[] }>(listed);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: created.id, prefix: created.prefix, role: 'reporter', label: 'ci' });
    expect(items[0]).not.toHaveProperty('key');
    expect(listed.stdout).not.toContain(String(created.key));
  });

  it('prints only the key on stdout in human mode, so KEY=$(...) works', async () => {
    const result = await cli(['keys', 'create', '--role', 'admin']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^pjm_\S+\n$/);
  });

  it('refuses an unknown role as a usage error (2)', async () => {
    const result = await cli(['keys', 'create', '--role', 'superuser']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('reader');
  });

  it('revokes by prefix; revoking again is not found (4)', async () => {
    const created = json<KeyDocument>(await cli(['keys', 'create', '--role', 'reader', '--json']));
    const revoked = json<KeyDocument>(await cli(['keys', 'revoke', created.prefix, '--json']));
    expect(revoked.revoked).toEqual(expect.any(String));
    expect((await cli(['keys', 'revoke', created.prefix])).code).toBe(4);
    const table = (await cli(['keys', 'list'])).stdout;
    expect(table).toMatch(new RegExp(`${created.prefix}\\s+reader\\s+revoked`));
  });
});

describe('nonces', () => {
  it('creates a job-scoped nonce with a use limit and an expiry, listed without the nonce', async () => {
    const created = json<{
      nonce: string;
      prefix: string;
      expires: string;
      max_uses: number;
      job_uuid: string;
    }>(
      await cli([
        'nonces',
        'create',
        '--max-uses',
        '3',
        '--expires-in',
        '7d',
        '--job',
        TACOBOT_JOB,
        '--json',
      ]),
    );
    expect(created.nonce).toMatch(/^pjn_/);
    expect(created).toMatchObject({ max_uses: 3, job_uuid: TACOBOT_JOB });
    const days = (new Date(created.expires).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    const listed = await cli(['nonces', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${created.prefix}\\s+reporter\\s+active\\s+0/3\\s+in 7 days`));
    expect(listed.stdout).not.toContain(created.nonce);
  });
});
