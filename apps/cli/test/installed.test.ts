import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { REPO_ROOT } from '../../../test/manager-process.js';

// The CLI as a user installs it: the package deployed with its dependencies (pnpm deploy), then
// `npm install -g` of that folder into a prefix of its own, run from a directory outside the
// repository with nothing of the workspace on its path.

const exec = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'pj-cli-installed-'));
chmodSync(root, 0o755); // the postgres user must traverse it when the tests run as root
const deployed = join(root, 'deployed');
const prefix = join(root, 'prefix');
const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
chmodSync(elsewhere, 0o755);
const bin = join(prefix, 'bin', 'pipelinejobs');
const SECRET = 'installed-cli-secret-0123456789abcdef';

function env(extra: Record<string, string> = {}) {
  return { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin`, HOME: elsewhere, ...extra };
}

async function pipelinejobs(args: string[], extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec('pipelinejobs', args, { cwd: elsewhere, env: env(extra) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  await exec('pnpm', ['--filter', '@pipelinejobs/cli', 'deploy', '--legacy', '--prod', deployed], {
    cwd: REPO_ROOT,
  });
  await exec('npm', ['install', '--global', '--offline', '--prefix', prefix, deployed], { cwd: elsewhere });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the installed pipelinejobs command', () => {
  it('is on the path of the prefix, and carries its own dependencies', async () => {
    expect(realpathSync(bin).startsWith(realpathSync(deployed))).toBe(true);
    const service = realpathSync(join(deployed, 'node_modules', '@pipelinejobs', 'service'));
    expect(service.startsWith(realpathSync(deployed)), service).toBe(true);
    expect(service.startsWith(REPO_ROOT)).toBe(false);
    const version = await pipelinejobs(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const svg = await pipelinejobs(['fsm', '--format', 'svg']);
    expect(svg.stdout).toContain('<svg');
  });

  it('works against an external database from a directory outside the repository', async () => {
    const opened = await openTestDatabase({ poolSize: 1 });
    try {
      const db = { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: SECRET };
      expect(await pipelinejobs(['migrate'], db)).toMatchObject({
        code: 0,
        stdout: 'The database is up to date (schema public).\n',
      });
      const key = await pipelinejobs(['keys', 'create', '--role', 'admin'], db);
      expect(key.code).toBe(0);
      expect(key.stdout).toMatch(/^pjm_\S+\n$/);
      const listed = await pipelinejobs(['keys', 'list', '--json'], db);
      expect(JSON.parse(listed.stdout).items).toHaveLength(1);
    } finally {
      await opened.cleanup();
    }
  });

  it('starts its embedded PostgreSQL from its own files, in the current directory', async () => {
    const created = await pipelinejobs(['keys', 'list']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain(
      `created a new embedded PostgreSQL database in ${join(elsewhere, '.pipelinejobs')}`,
    );
    expect(created.stdout).toBe('No API keys.\n');
  });
});
