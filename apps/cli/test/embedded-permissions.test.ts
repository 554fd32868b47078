import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// The embedded default's data directory as a hostile machine leaves it: files of secrets other
// users may read, a folder of another user's, a folder this user may not write.
const root = mkdtempSync(join(tmpdir(), 'pipelinejobs-cli-permissions-'));
chmodSync(root, 0o755); // the postgres user must traverse it when the tests run as root
const dataDir = join(root, 'data');
// No PIPELINEJOBS_SECRET: the embedded default keeps its own in the data directory.
const list = () =>
  runCli(['jobs', 'list'], { env: { PIPELINEJOBS_DATA_DIR: dataDir, PIPELINEJOBS_SECRET: undefined } });

/** The uid and gid of another account, when this process may act as one (root). */
function otherUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

beforeAll(async () => {
  const created = await list();
  expect(created.code, created.stderr).toBe(0);
});
afterAll(async () => {
  await releaseEmbeddedServer(dataDir, { force: true }).catch(() => false);
  rmSync(root, { recursive: true, force: true });
});

describe('the embedded data directory', () => {
  it.each([
    ['secret', 2],
    ['pg.password', 7],
  ])('refuses a %s file other users may read, saying how to fix it', async (file, exitCode) => {
    const path = join(dataDir, file);
    chmodSync(path, 0o644);
    try {
      const refused = await list();
      expect(refused.code).toBe(exitCode);
      expect(refused.stderr).toContain(path);
      expect(refused.stderr).toContain('mode 0644');
      expect(refused.stderr).toContain(`chmod 600 ${path}`);
    } finally {
      chmodSync(path, 0o600);
    }
    expect((await list()).code).toBe(0);
  });

  const other = otherUser();
  it.runIf(other)(
    "refuses a data directory another user owns (that user could choose this process's secret)",
    async () => {
      if (!other) return;
      chownSync(dataDir, other.uid, other.gid);
      try {
        const refused = await list();
        expect(refused.code).toBe(7);
        expect(refused.stderr).toContain(`is owned by uid ${other.uid}, not by this process's user`);
      } finally {
        chownSync(dataDir, 0, 0);
      }
    },
  );

  it.runIf(other)('says which folder it may not write, not a raw EACCES', () => {
    if (!other) return;
    const unwritable = join(root, 'not-yours');
    mkdirSync(unwritable, { mode: 0o755 });
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const run = spawnSync(process.execPath, [main, 'jobs', 'list'], {
      encoding: 'utf8',
      uid: other?.uid,
      gid: other?.gid,
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: root, PIPELINEJOBS_DATA_DIR: join(unwritable, 'data') },
    });
    expect(run.status).toBe(7);
    expect(run.stderr).toContain(`cannot mkdir ${join(unwritable, 'data')}: permission denied (EACCES)`);
    expect(run.stderr).not.toContain('Unexpected database error');
  });
});
