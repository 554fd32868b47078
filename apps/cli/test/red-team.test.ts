import { describe, expect, it } from 'vitest';
import { json, useTestDatabaseCli } from './run-cli.js';

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
