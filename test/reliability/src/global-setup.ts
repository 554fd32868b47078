import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestProject } from 'vitest/node';
import { postmaster } from '../../embedded-server.js';
import { KEEP_LOGS, RESULTS_DIR, SCALE, SEED, sizes } from './config.js';
import { findLeaks, startedPids } from './run-files.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Only a process we started: the pid is alive and still runs what we launched. */
function stillOurs(pid: number, marker: string): boolean {
  try {
    return alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

async function stop(pid: number, marker: string, signal: NodeJS.Signals): Promise<void> {
  if (!stillOurs(pid, marker)) return;
  process.kill(pid, signal);
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (stillOurs(pid, marker)) process.kill(pid, 'SIGKILL');
}

/** Stops what a failed test file may have left behind: Managers, then embedded servers. */
async function stopLeftovers(runDir: string): Promise<void> {
  for (const { pid } of startedPids(runDir)) await stop(pid, 'apps/http/dist/main.js', 'SIGTERM');
  for (const entry of readdirSync(runDir)) {
    const pid = postmaster(join(runDir, entry, 'data'))?.pid;
    if (pid !== undefined && Number.isInteger(pid) && pid > 0) await stop(pid, 'postgres', 'SIGINT');
  }
}

export default function setup(project: TestProject) {
  const runDir = mkdtempSync(join(tmpdir(), 'pipelinejobs-reliability-'));
  chmodSync(runDir, 0o755); // embedded PostgreSQL runs as the postgres user when we are root
  mkdirSync(join(runDir, 'logs'));
  project.provide('reliability', { runDir });
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(
    join(RESULTS_DIR, 'latest.json'),
    `${JSON.stringify({ started: new Date().toISOString(), scale: SCALE, seed: SEED, sizes, results: [] }, null, 2)}\n`,
  );
  return async () => {
    await stopLeftovers(runDir);
    // The whole run's logs against the whole run's secrets (each file checks its own as well).
    const { leaks, secrets, logs } = findLeaks(runDir);
    if (leaks.length > 0) {
      console.error(`secret leak check: ${leaks.length} leaks in ${logs} logs (kept in ${runDir})`);
      for (const leak of leaks.slice(0, 20)) console.error(`  ${leak.log}: ${leak.secret}: ${leak.line}`);
      throw new Error(`${leaks.length} secrets found in Manager logs; see ${runDir}/logs`);
    }
    console.log(`secret leak check (whole run): ${secrets} secrets, ${logs} Manager logs, 0 leaks`);
    if (!KEEP_LOGS) rmSync(runDir, { recursive: true, force: true });
    else console.log(`reliability run directory kept: ${runDir}`);
  };
}
