import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminKeyFingerprint,
  DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS,
  secretFingerprint,
  secretWeakness,
} from '@pipelinejobs/auth';
import { fileExposure } from '@pipelinejobs/embedded-postgres';
import { type Actor, type Database, recordServerSettings } from '@pipelinejobs/storage';
import { ConfigError } from './config.js';
import { DATABASE } from './database-key.js';
import type { Services } from './services.js';

/** The settings every process on one database must share, as the database records them. */
const SHARED = {
  secret: 'secret_fingerprint',
  adminKey: 'admin_key_fingerprint',
  lifetime: 'admin_token_lifetime_seconds',
} as const;

export interface SharedSettings {
  secret: string;
  adminKey: string;
  adminTokenLifetimeSeconds: number;
}

const short = (fingerprint: string | undefined) => (fingerprint ?? '').slice(0, 8);

/**
 * Records the shared settings at a database's first start and refuses, with one line naming the
 * variable, a process whose settings differ: another secret would hand out other tokens for the
 * same jobs, another admin key or lifetime would refuse the admin tokens the others mint.
 * `adopt` replaces what the database holds instead (an operator changing them on purpose).
 */
export async function agreeOnSettings(
  db: Database,
  settings: SharedSettings,
  options: { adopt?: Actor; check?: boolean } = {},
): Promise<void> {
  const mine: Record<string, string> = {
    [SHARED.secret]: secretFingerprint(settings.secret),
    [SHARED.adminKey]: adminKeyFingerprint(settings.secret, settings.adminKey),
    [SHARED.lifetime]: String(settings.adminTokenLifetimeSeconds),
  };
  const stored = await recordServerSettings(db, options.check ? {} : mine, { replacedBy: options.adopt });
  const adopt = 'adopt them with `pipelinejobs settings adopt` (every job and admin token then changes)';
  if (stored[SHARED.secret] !== mine[SHARED.secret]) {
    throw new ConfigError(
      'PIPELINEJOBS_SECRET',
      `differs from the secret this database was set up with (fingerprint ${short(mine[SHARED.secret])}, recorded ${short(stored[SHARED.secret])}): start every process with the same secret, or ${adopt}`,
    );
  }
  if (stored[SHARED.adminKey] !== mine[SHARED.adminKey]) {
    throw new ConfigError(
      'PIPELINEJOBS_ADMIN_KEY',
      `differs from the admin token key this database's processes use: set the same key everywhere, or ${adopt}`,
    );
  }
  if (stored[SHARED.lifetime] !== mine[SHARED.lifetime]) {
    throw new ConfigError(
      'PIPELINEJOBS_ADMIN_TOKEN_LIFETIME',
      `is ${mine[SHARED.lifetime]} s but this database's processes use ${stored[SHARED.lifetime]} s: set the same lifetime everywhere, or ${adopt}`,
    );
  }
}

/**
 * Whether the settings this process started with are still the database's, read without writing:
 * another process's `pipelinejobs settings adopt` changes them under a running Manager, which
 * must then stop handing out tokens. The refusal when they differ; undefined when they agree.
 * Rejects when the database cannot say (an outage is not a change, nor an agreement).
 */
export async function settingsDrift(s: Services): Promise<ConfigError | undefined> {
  try {
    await agreeOnSettings(
      s[DATABASE],
      {
        secret: s.secret,
        adminKey: s.admin.adminKey,
        adminTokenLifetimeSeconds: s.admin.lifetimeSeconds ?? DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS,
      },
      { check: true },
    );
    return undefined;
  } catch (error) {
    // Anything else (the database unreachable, ...) says nothing about drift: the caller keeps
    // what it knew.
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

/**
 * The embedded default's server secret: generated once, kept in the data directory (mode 0600),
 * and shared by the Manager and the CLI that use that directory. A file that is empty or damaged
 * is refused, and a missing file is generated only for a database that has never had a secret:
 * generating a new one would silently invalidate every job token.
 */
export async function embeddedSecret(dataDir: string, db: Database): Promise<string> {
  const path = join(dataDir, 'secret');
  const existing = readSecretFile(path);
  if (existing !== undefined) return existing;
  const recorded = (await recordServerSettings(db, {}))[SHARED.secret];
  if (recorded !== undefined) {
    throw new ConfigError(
      path,
      `is missing, but this database was set up with a secret (fingerprint ${short(recorded)}): restore the file from a backup of the data directory, or set PIPELINEJOBS_SECRET to that secret`,
    );
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // Written aside and linked into place, so another process never reads a half-written file.
  const staging = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(staging, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(staging, path);
    return secret;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readSecretFile(path) ?? secret;
    throw error;
  } finally {
    rmSync(staging, { force: true });
  }
}

/**
 * The secret file's secret (one line), undefined when there is no file; a weak one is refused,
 * and so is a file another user owns or may read (job tokens derive from it).
 */
function readSecretFile(path: string): string | undefined {
  const exposed = fileExposure(path);
  if (exposed) throw new ConfigError(path, `the server secret file ${exposed}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(
      path,
      `cannot be read (${code ?? 'error'}): it must be a file this process may read`,
    );
  }
  const secret = text.replace(/\r?\n$/, '');
  const weakness = secretWeakness(secret);
  if (weakness !== undefined) {
    throw new ConfigError(
      path,
      `holds no usable secret (it ${weakness}): restore the file from a backup of the data directory (job tokens derive from it)`,
    );
  }
  return secret;
}
