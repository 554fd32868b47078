import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jobToken } from '@pipelinejobs/auth';
import { TACOBOT_JOB, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { createApiKey, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { dropDatabase } from '@pipelinejobs/storage/testing';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { baseEnv, REPO_ROOT, startManagerProcess } from '../../../test/manager-process.js';
import { freePort } from './process-tree.js';
import {
  allRunnableBlocks,
  type RunnableBlock,
  readmeFiles,
  scriptOf,
  strayMarkers,
} from './readme-blocks.js';

// Every shell block of the READMEs marked <!-- runnable: SETUP --> runs here as written, the
// blocks of one setup in one README in one shell, in order. Each setup provides what its README
// tells the reader to have first (a started Manager and its key, a database, PostgreSQL roles).

const TEST_ADMIN = systemPrincipal('tests');
const pg = inject('pg');
const scratch = mkdtempSync(join(tmpdir(), 'pj-readme-blocks-'));
chmodSync(scratch, 0o755); // the postgres user must traverse it when the tests run as root
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `pipelinejobs` and `pipelinejobs-manager` on the PATH, as after installing them. */
const bin = join(scratch, 'bin');
mkdirSync(bin);
for (const [name, entry] of [
  ['pipelinejobs', 'apps/cli/dist/main.js'],
  ['pipelinejobs-manager', 'apps/http/dist/main.js'],
]) {
  writeFileSync(
    join(bin, name ?? ''),
    `#!/bin/sh\nexec "${process.execPath}" "${REPO_ROOT}${entry}" "$@"\n`,
    {
      mode: 0o755,
    },
  );
}

/** A working directory for a block: the repository's examples/ beside it, as in a checkout. */
function workDir(): string {
  const dir = mkdtempSync(join(scratch, 'cwd-'));
  chmodSync(dir, 0o755);
  symlinkSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'));
  return dir;
}

async function bash(blocks: readonly RunnableBlock[], cwd: string, env: Record<string, string>) {
  const script = scriptOf(blocks);
  return promisify(execFile)('bash', ['-c', script], {
    cwd,
    env: {
      ...baseEnv(),
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      BACKGROUND_LOG: join(cwd, 'background.log'),
      ...env,
    },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
    const where = blocks.map((b) => `${b.file}:${b.line}`).join(', ');
    throw new Error(
      `the blocks at ${where} exited ${error.code}:\n--- stderr\n${error.stderr}\n--- stdout\n${error.stdout}`,
    );
  });
}

const withUrl = (url: string, change: (u: URL) => void) => {
  const u = new URL(url);
  change(u);
  return u.href;
};

type Check = (blocks: readonly RunnableBlock[]) => Promise<void>;

/** What each setup provides, and what it checks after the blocks ran. */
const SETUPS: Record<string, Check> = {
  /** A started Manager (PJM) and an admin key (KEY), as the quickstart says to have. */
  async quickstart(blocks) {
    const secret = 'quickstart-secret-0123456789abcdef';
    const opened = await openTestDatabase();
    const services = createTestServices(opened.db, { secret });
    const key = (await createApiKey(services, TEST_ADMIN, { role: 'admin', label: 'quickstart' })).key;
    const manager = await startManagerProcess({
      env: { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: secret, LOG_LEVEL: 'warn' },
    });
    const cwd = workDir();
    try {
      const { stdout } = await bash(blocks, cwd, { PJM: manager.url, KEY: key });
      expect(stdout).toContain(`"uuid":"${TACOBOT_PIPELINE}"`);
      const history = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
        items: { seq: number; name: string; to: string; source: string }[];
      };
      expect(history.items.map((e) => [e.seq, e.name, e.to, e.source])).toEqual([
        [1, 'create', 'CREATED', 'create'],
        [2, 'run', 'RUNNING', 'json'],
        [3, 'update', 'RUNNING', 'params'],
        [4, 'finish', 'FINISHED', 'agave'],
      ]);
      const svg = readFileSync(join(cwd, 'tacobot-fsm.svg'), 'utf8').replaceAll('&#45;', '-');
      expect(svg).toContain(`job:${TACOBOT_JOB} (FINISHED)`);
      expect(manager.output()).not.toContain(jobToken(secret, TACOBOT_JOB, 1));
    } finally {
      expect(await manager.stop()).toBe(0);
      await opened.cleanup();
    }
  },

  /** DATABASE_URL and PIPELINEJOBS_SECRET exported, and the CLI on the PATH. */
  async cli(blocks) {
    const opened = await openTestDatabase({ poolSize: 1 });
    try {
      await bash(blocks, workDir(), {
        DATABASE_URL: opened.url,
        PIPELINEJOBS_SECRET: 'readme-cli-secret-0123456789abcdef',
      });
    } finally {
      await opened.cleanup();
    }
  },

  /** A checkout (the repository root) with the embedded default in a data directory of its own. */
  async checkout(blocks) {
    const dataDir = join(mkdtempSync(join(scratch, 'checkout-')), 'data');
    chmodSync(join(dataDir, '..'), 0o755);
    await bash(blocks, REPO_ROOT, { PIPELINEJOBS_DATA_DIR: dataDir });
  },

  /**
   * The Deploying section's variables: a PostgreSQL superuser, names for the two roles and the
   * database (new ones, removed afterwards), their URLs, the secret and where the Manager listens.
   */
  async deploy(blocks) {
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
    const names = { OWNER_ROLE: `pjm_owner_${suffix}`, APP_ROLE: `pjm_app_${suffix}`, DB: `pjm_${suffix}` };
    const passwords = { OWNER_PASSWORD: `owner-${suffix}`, APP_PASSWORD: `app-${suffix}` };
    const url = (role: string, password: string) =>
      withUrl(pg.adminUrl, (u) => {
        u.username = role;
        u.password = password;
        u.pathname = `/${names.DB}`;
      });
    const port = await freePort();
    try {
      await bash(blocks, workDir(), {
        ...names,
        ...passwords,
        PG_ADMIN_URL: pg.adminUrl,
        OWNER_URL: url(names.OWNER_ROLE, passwords.OWNER_PASSWORD),
        DATABASE_URL: url(names.APP_ROLE, passwords.APP_PASSWORD),
        PIPELINEJOBS_SECRET: `deploy-secret-${suffix}-0123456789abcdef`,
        PIPELINEJOBS_DB_SCHEMA: 'pipelinejobs',
        PIPELINEJOBS_MIGRATE: 'check',
        HOST: '127.0.0.1',
        PORT: String(port),
        READY_URL: `http://127.0.0.1:${port}/readyz`,
      });
    } finally {
      await dropDatabase(pg.adminUrl, names.DB);
      const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop role if exists ${names.APP_ROLE}`);
      await admin.unsafe(`drop role if exists ${names.OWNER_ROLE}`);
      await admin.end();
    }
  },
};

const blocks = allRunnableBlocks(REPO_ROOT);
const groups = new Map<string, RunnableBlock[]>();
for (const block of blocks) {
  const key = `${block.file} ${block.setup}`;
  groups.set(key, [...(groups.get(key) ?? []), block]);
}

describe('the READMEs', () => {
  it('mark their runnable blocks right before a shell block, with a setup this test knows', () => {
    for (const file of readmeFiles(REPO_ROOT)) {
      expect(strayMarkers(readFileSync(join(REPO_ROOT, file), 'utf8')), file).toBe(0);
    }
    for (const block of blocks)
      expect(Object.keys(SETUPS), `${block.file}:${block.line}`).toContain(block.setup);
    // The quickstart, the deployment, the CLI example and the first key of a checkout at least.
    expect([...groups.keys()]).toEqual(
      expect.arrayContaining([
        'README.md quickstart',
        'README.md deploy',
        'README.md checkout',
        'apps/cli/README.md cli',
      ]),
    );
  });

  for (const [key, group] of groups) {
    const setup = SETUPS[group[0]?.setup ?? ''];
    it.runIf(setup !== undefined)(`run as written: ${key} (${group.length} blocks)`, async () => {
      await setup?.(group);
    });
  }
});
