import type { AdminTokenConfig, JwtVerifier } from '@pipelinejobs/auth';
import { createJwtVerifier } from '@pipelinejobs/auth';
import { type Database, type EmbeddedLog, openDatabase } from '@pipelinejobs/storage';
import type { Config } from './config.js';
import { loadOrCreateSecret } from './secret.js';

/** What every use case needs: the database, the secrets, and a clock (injected in tests). */
export interface Services {
  readonly db: Database;
  readonly secret: string;
  readonly admin: AdminTokenConfig;
  readonly jwt: JwtVerifier | undefined;
  readonly clock: () => Date;
}

/** Opens the configured database (migrating it) and resolves the secret. */
export async function openServices(
  config: Config,
  options: { log?: EmbeddedLog; clock?: () => Date } = {},
): Promise<Services> {
  const secret = config.secret ?? loadOrCreateSecret(config.dataDir);
  const pool = { poolSize: config.poolSize, idleTimeoutSeconds: config.poolIdleTimeoutSeconds };
  const db = await openDatabase(
    'url' in config.database
      ? { url: config.database.url, ...pool }
      : { dataDir: config.database.dataDir, ...pool, log: options.log },
  );
  return {
    db,
    secret,
    admin: { secret, adminKey: config.adminKey, lifetimeSeconds: config.adminTokenLifetimeSeconds },
    jwt: config.jwt ? createJwtVerifier(config.jwt) : undefined,
    clock: options.clock ?? (() => new Date()),
  };
}
