import type { AdminTokenConfig, JwtVerifier, Principal } from '@pipelinejobs/auth';
import { createJwtVerifier } from '@pipelinejobs/auth';
import type { EmbeddedLog } from '@pipelinejobs/embedded-postgres';
import type { Database } from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import type { Config } from './config.js';
import { type EmbeddedDatabase, openConfiguredDatabase } from './open-database.js';
import { agreeOnSettings, embeddedSecret } from './secret.js';

/** What every use case needs: the database, the secrets, and a clock (injected in tests). */
export interface Services {
  readonly db: Database;
  /** Set for the embedded default: where it is, and whether this process created it. */
  readonly embedded?: EmbeddedDatabase;
  readonly secret: string;
  readonly admin: AdminTokenConfig;
  readonly jwt: JwtVerifier | undefined;
  readonly clock: () => Date;
}

export interface OpenServicesOptions {
  log?: EmbeddedLog;
  clock?: () => Date;
  /**
   * Record this process's secret, admin key and admin token lifetime as the database's, as done
   * by this principal, instead of refusing to start when they differ from what it holds
   * (`pipelinejobs settings adopt`).
   */
  adoptSettings?: Principal;
}

/**
 * Opens the configured database (migrating it), resolves the secret and checks that this
 * process's shared settings are the ones the database was set up with; nothing is served or
 * written by a caller before that check has passed.
 */
export async function openServices(config: Config, options: OpenServicesOptions = {}): Promise<Services> {
  const { db, embedded } = await openConfiguredDatabase(config, { log: options.log });
  try {
    const secret = config.secret ?? (await embeddedSecret(config.dataDir, db));
    const admin = { secret, adminKey: config.adminKey, lifetimeSeconds: config.adminTokenLifetimeSeconds };
    await agreeOnSettings(
      db,
      { secret, adminKey: admin.adminKey, adminTokenLifetimeSeconds: admin.lifetimeSeconds },
      { adopt: options.adoptSettings && actorOf(options.adoptSettings) },
    );
    return {
      db,
      ...(embedded ? { embedded } : {}),
      secret,
      admin,
      jwt: config.jwt ? createJwtVerifier(config.jwt) : undefined,
      clock: options.clock ?? (() => new Date()),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
