import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireEmbeddedServer, releaseEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { childOutput } from './child-output.js';

const child = new URL('./embedded-child.mjs', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'pipelinejobs-embedded-'));
chmodSync(root, 0o755);

afterAll(async () => {
  for (const dir of ['a', 'b', 'c']) await releaseEmbeddedServer(join(root, dir)).catch(() => false);
  rmSync(root, { recursive: true, force: true });
});

function start(dataDir: string, mode: string, n = 0): { proc: ChildProcess; output: Promise<string> } {
  const proc = spawn(process.execPath, [child, dataDir, mode, String(n)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const written = childOutput(proc);
  const output = new Promise<string>((resolve, reject) => {
    const check = setInterval(() => {
      if (mode === 'write-and-hang' && written.stdout().includes('ready')) {
        clearInterval(check);
        resolve(written.stdout());
      }
    }, 20);
    proc.on('exit', (code) => {
      clearInterval(check);
      const out = written.stdout();
      if (code === 0) resolve(out);
      else if (mode !== 'write-and-hang' || !out.includes('ready'))
        reject(new Error(`exit ${code}: ${written.stderr()}`));
    });
  });
  return { proc, output };
}

const count = async (dataDir: string) => JSON.parse(await start(dataDir, 'count').output).jobs as number;
const postmasterPid = (dataDir: string) =>
  Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('the embedded default', () => {
  it('keeps the data when the process is killed with -9, and reuses or restarts the server', async () => {
    const dataDir = join(root, 'a');
    const writer = start(dataDir, 'write-and-hang', 1);
    await writer.output;
    writer.proc.kill('SIGKILL');
    await new Promise((r) => writer.proc.once('exit', r));

    // The server outlived its starter: the next process reuses it.
    expect(await count(dataDir)).toBe(1);

    // Kill the server itself with -9: the next open restarts it and WAL recovery keeps the data.
    const second = start(dataDir, 'write-and-hang', 2);
    await second.output;
    second.proc.kill('SIGKILL');
    process.kill(postmasterPid(dataDir), 'SIGKILL');
    expect(await count(dataDir)).toBe(2);
    const log = readFileSync(join(dataDir, 'postgres.log'), 'utf8');
    expect(log).toContain('automatic recovery in progress');
  });

  it('waits for a start lock whose owner has not written its pid yet, and breaks a dead owner’s', async () => {
    const dataDir = join(root, 'c');
    mkdirSync(dataDir);
    const lock = join(dataDir, 'start.lock');
    writeFileSync(lock, ''); // created, not yet filled: another process is taking it
    await expect(acquireEmbeddedServer(dataDir, { timeoutMs: 300 })).rejects.toThrow(
      'Timed out waiting for another process',
    );
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => gone.once('exit', r));
    writeFileSync(lock, String(gone.pid)); // left by a process that died
    const server = await acquireEmbeddedServer(dataDir, { timeoutMs: 30_000 });
    expect(server.started).toBe(true);
  });

  it('lets two processes open the same new data directory at once', async () => {
    const dataDir = join(root, 'b');
    const [one, two] = await Promise.all([count(dataDir), count(dataDir)]);
    expect([one, two]).toEqual([0, 0]);
  });
});
