import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { json, spawnCli, useTestDatabaseCli } from './run-cli.js';

/** Regression tests of a second adversarial pass over the CLI, each a real run on a real database. */
const cli = useTestDatabaseCli();

/** The prefixes of the active admin keys. */
async function activeAdmins(): Promise<string[]> {
  const listed = json<{ items: { prefix: string; role: string; revoked: string | null }[] }>(
    await cli(['keys', 'list', '--json']),
  );
  return listed.items.filter((key) => key.role === 'admin' && key.revoked === null).map((key) => key.prefix);
}

describe('keys revoke', () => {
  it('refuses to revoke the last active admin key unless forced, saying what to do', async () => {
    await cli(['migrate']);
    const made = json<{ prefix: string }>(await cli(['keys', 'create', '--role', 'admin', '--json']));
    const other = json<{ prefix: string }>(await cli(['keys', 'create', '--role', 'admin', '--json']));
    // One of two admin keys may go.
    expect((await cli(['keys', 'revoke', other.prefix])).code).toBe(0);
    const refused = await cli(['keys', 'revoke', made.prefix]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('last active admin key');
    expect(refused.stderr).toContain('keys create --role admin');
    expect(await activeAdmins()).toEqual([made.prefix]);
    const forced = await cli(['keys', 'revoke', made.prefix, '--force']);
    expect(forced.code).toBe(0);
    expect(await activeAdmins()).toEqual([]);
  });

  it('lets only one of two concurrent revocations of the last two admin keys through', async () => {
    const keys = await Promise.all(
      [1, 2].map(async () =>
        json<{ prefix: string }>(await cli(['keys', 'create', '--role', 'admin', '--json'])),
      ),
    );
    const results = await Promise.all(keys.map((key) => cli(['keys', 'revoke', key.prefix])));
    expect(results.map((result) => result.code).sort()).toEqual([0, 5]);
    expect(await activeAdmins()).toHaveLength(1);
  });
});

describe('keys list', () => {
  it('lists a key whose stored role this version does not know, marked, so it can be revoked', async () => {
    await cli(['migrate']);
    const made = json<{ id: string; prefix: string }>(
      await cli(['keys', 'create', '--role', 'reader', '--label', 'newer', '--json']),
    );
    const db = await openDatabase({ url: cli.url(), poolSize: 1 }, { migrate: false });
    await db.sql`update api_keys set role = 'superuser' where id = ${made.id}`;
    await db.close();
    const listed = await cli(['keys', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('superuser (unknown to this version)');
    expect((await cli(['keys', 'revoke', made.prefix])).code).toBe(0);
  });
});

describe('--json on failure', () => {
  it.each([
    [['jobs', 'show', 'not-a-uuid'], 'invalid', 3],
    [['jobs', 'show', '10000000-0000-5000-8000-000000000000'], 'invalid', 3],
    [['frobnicate'], 'usage', 2],
    [['jobs', 'list', '--limit', 'lots'], 'usage', 2],
  ])('prints one JSON error document on stdout for %j', async (args, code, exitCode) => {
    const result = await cli([...args, '--json']);
    expect(result.code).toBe(exitCode);
    const document = json<{ error: { code: string; message: string; exit_code: number } }>(result);
    expect(document.error).toMatchObject({ code, exit_code: exitCode, message: expect.any(String) });
    expect(result.stderr).toContain('error: ');
  });

  it("names the JSON pointers of the data's problems", async () => {
    await cli(['migrate']);
    const result = await cli([
      'send',
      '107b93f3-1eae-5e79-8a18-0a480f8aa3a5',
      'update',
      '--token',
      'x',
      '--data',
      '{"a": 1, "a": 2}',
      '--json',
    ]);
    const document = json<{ error: { code: string; errors: { path: string }[] } }>(result);
    expect(document.error.code).toBe('invalid');
    expect(document.error.errors).toEqual([expect.objectContaining({ path: '/a' })]);
  });
});

describe('--data from a file', () => {
  const job = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';

  it('refuses a device that never ends (@/dev/zero) once past 1 MiB, instead of reading it whole', async () => {
    const result = await cli(['send', job, 'update', '--token', 'x', '--data', '@/dev/zero']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('/dev/zero is larger than 1048576 bytes (1 MiB)');
  });

  it('refuses a file over 1 MiB, saying the limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipelinejobs-cli-data-'));
    try {
      const big = join(dir, 'big.json');
      writeFileSync(big, JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) }));
      const result = await cli(['send', job, 'update', '--token', 'x', '--data', `@${big}`]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('larger than 1048576 bytes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a FIFO nobody writes to until Ctrl-C, and then exits 130 at once', {
    timeout: 20_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipelinejobs-cli-fifo-'));
    try {
      const fifo = join(dir, 'data.fifo');
      execFileSync('mkfifo', [fifo]);
      let killer: NodeJS.Timeout | undefined;
      const result = await spawnCli(['send', job, 'update', '--token', 'x', '--data', `@${fifo}`], {
        env: { DATABASE_URL: cli.url() },
        started: (child) => {
          // Time enough to start and reach the read (nothing says when it waits there).
          setTimeout(() => child.kill('SIGINT'), 3000);
          // A process held at exit by a thread stuck opening the FIFO never ends by itself.
          killer = setTimeout(() => child.kill('SIGKILL'), 9000);
        },
      });
      clearTimeout(killer);
      expect(result.signal).toBeNull();
      expect(result.code).toBe(130);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
