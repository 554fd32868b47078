import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Files of the run directory (in the OS temp dir, made by global-setup.ts and shared by every
 * test file): the embedded PostgreSQL data of each file, the captured Manager logs, the list of
 * every secret the suite used, and the pids of the processes it started (so teardown can stop
 * leftovers). No vitest import here: global-setup.ts uses these too.
 */
const logsDir = (dir: string) => join(dir, 'logs');
const secretsFile = (dir: string) => join(dir, 'secrets.txt');
const pidsFile = (dir: string) => join(dir, 'pids.txt');

/** Remembers credentials so the leak check can look for them in every Manager log of the run. */
export function appendSecrets(dir: string, values: (string | undefined)[]): void {
  const lines = values.filter((v): v is string => typeof v === 'string' && v.length >= 8);
  if (lines.length > 0) appendFileSync(secretsFile(dir), `${lines.join('\n')}\n`);
}

export function appendPid(dir: string, pid: number, what: string): void {
  appendFileSync(pidsFile(dir), `${pid} ${what}\n`);
}

export function startedPids(dir: string): { pid: number; what: string }[] {
  if (!existsSync(pidsFile(dir))) return [];
  return readFileSync(pidsFile(dir), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, ...what] = line.split(' ');
      return { pid: Number(pid), what: what.join(' ') };
    });
}

export function writeLog(dir: string, name: string, text: string): void {
  mkdirSync(logsDir(dir), { recursive: true });
  appendFileSync(join(logsDir(dir), name), text);
}

export interface Leak {
  log: string;
  secret: string;
  line: string;
}

/** Every remembered secret found in the captured logs of the run, or only in `only` (should be none). */
export function findLeaks(
  dir: string,
  options: { only?: readonly string[] } = {},
): {
  leaks: Leak[];
  secrets: number;
  logs: number;
  bytes: number;
} {
  const secrets = existsSync(secretsFile(dir))
    ? [...new Set(readFileSync(secretsFile(dir), 'utf8').split('\n').filter(Boolean))]
    : [];
  const logs: Record<string, string> = {};
  if (existsSync(logsDir(dir))) {
    for (const name of readdirSync(logsDir(dir))) {
      if (options.only && !options.only.includes(name)) continue;
      logs[name] = readFileSync(join(logsDir(dir), name), 'utf8');
    }
  }
  const leaks: Leak[] = [];
  let bytes = 0;
  for (const [log, text] of Object.entries(logs)) {
    bytes += text.length;
    for (const secret of secrets) {
      const at = text.indexOf(secret);
      if (at >= 0) {
        const start = text.lastIndexOf('\n', at) + 1;
        const end = text.indexOf('\n', at);
        leaks.push({
          log,
          secret: `${secret.slice(0, 4)}...`,
          // the secret itself is not repeated in the test output
          line: text
            .slice(start, end < 0 ? undefined : end)
            .replaceAll(secret, '<SECRET>')
            .slice(0, 500),
        });
      }
    }
  }
  return { leaks, secrets: secrets.length, logs: Object.keys(logs).length, bytes };
}
