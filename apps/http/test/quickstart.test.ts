import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jobToken } from '@pipelinejobs/auth';
import { createApiKey, systemPrincipal } from '@pipelinejobs/service';
import { createTestServices } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { type ManagerChild, startManagerProcess } from '../../../test/manager-process.js';

/** The tests act as the Manager itself would (an admin principal of kind system). */
const TEST_ADMIN = systemPrincipal('tests');

const root = new URL('../../../', import.meta.url).pathname;
const SECRET = 'quickstart-secret-0123456789abcdef';

let manager: ManagerChild;
let key: string;
let cleanup: () => Promise<void>;

/** The README's quickstart block, exactly as a user would paste it. */
function quickstart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- quickstart -->\s*```sh\n([\s\S]*?)```\s*<!-- \/quickstart -->/.exec(readme);
  if (!block?.[1]) throw new Error('README.md has no quickstart block');
  return block[1];
}

beforeAll(async () => {
  const opened = await openTestDatabase();
  cleanup = opened.cleanup;
  const services = createTestServices(opened.db, { secret: SECRET });
  key = (await createApiKey(services, TEST_ADMIN, { role: 'admin', label: 'quickstart' })).key;
  manager = await startManagerProcess({
    env: { DATABASE_URL: opened.url, PIPELINEJOBS_SECRET: SECRET, LOG_LEVEL: 'warn' },
  });
});

afterAll(async () => {
  await manager.kill9();
  await cleanup();
});

describe('the README quickstart', () => {
  it('runs as written against a started Manager and leaves the tacobot job FINISHED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipelinejobs-quickstart-'));
    symlinkSync(join(root, 'examples'), join(dir, 'examples'));
    try {
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', quickstart()], {
        cwd: dir,
        env: { ...process.env, PJM: manager.url, KEY: key },
      });
      const uuid = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';
      expect(stdout).toContain(`"uuid":"10650844-1baa-55c5-a481-5e945b19c065"`);
      const history = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
        items: { seq: number; name: string; to: string; source: string }[];
      };
      expect(history.items.map((e) => [e.seq, e.name, e.to, e.source])).toEqual([
        [1, 'create', 'CREATED', 'create'],
        [2, 'run', 'RUNNING', 'json'],
        [3, 'update', 'RUNNING', 'params'],
        [4, 'finish', 'FINISHED', 'agave'],
      ]);
      const svg = readFileSync(join(dir, 'tacobot-fsm.svg'), 'utf8');
      expect(svg).toContain('<svg');
      expect(svg.replaceAll('&#45;', '-')).toContain(`job:${uuid}`);
      expect(manager.output()).not.toContain(jobToken(SECRET, uuid, 1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drains and exits 0 on SIGTERM', async () => {
    expect((await fetch(`${manager.url}/healthz`)).status).toBe(200);
    expect(await manager.stop()).toBe(0);
  });
});
