import type { AdminTokenConfig, JwtVerifier, Principal } from '@pipelinejobs/auth';
import { createJwtVerifier } from '@pipelinejobs/auth';
import type { EmbeddedLog } from '@pipelinejobs/embedded-postgres';
import { type Database, isOutcomeUnknown } from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import type { Config } from './config.js';
import { explainDatabaseFailure } from './database-failure.js';
import { DATABASE } from './database-key.js';
import { tellDispatchers } from './dispatcher.js';
import { type EmbeddedDatabase, openConfiguredDatabase } from './open-database.js';
import { type OutboxSignal, outboxSignal } from './outbox-signal.js';
import { agreeOnSettings, embeddedSecret } from './secret.js';
import type { WebhookSettings } from './webhook-settings.js';

/**
 * What every use case needs: the database, the secrets, and a clock (injected in tests). The
 * database is under a key the apps cannot name: they close the services with closeServices.
 */
export interface Services {
  readonly [DATABASE]: Database;
  /** Set for the embedded default: where it is, and whether this process created it. */
  readonly embedded?: EmbeddedDatabase;
  readonly secret: string;
  readonly admin: AdminTokenConfig;
  readonly jwt: JwtVerifier | undefined;
  readonly clock: () => Date;
  /** How notifications are delivered, and to which targets. */
  readonly webhooks: WebhookSettings;
  /**
   * Says that a transition was written (and whether it queued notifications), or that
   * notifications were queued without one: to this process's event streams and dispatcher.
   */
  readonly outbox: OutboxSignal;
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
 * Opens the configured database (migrating or checking it as PIPELINEJOBS_MIGRATE says), resolves
 * the secret and checks that this process's shared settings are the ones the database was set up
 * with; nothing is served or written by a caller before that check has passed. A database that
 * refuses or cannot be reached is said with PostgreSQL's message and the setting to check.
 */
export async function openServices(config: Config, options: OpenServicesOptions = {}): Promise<Services> {
  let opened: Awaited<ReturnType<typeof openConfiguredDatabase>>;
  try {
    opened = await openConfiguredDatabase(config, { log: options.log });
  } catch (error) {
    throw explainDatabaseFailure(error, config, 'connect');
  }
  const { db, embedded } = opened;
  try {
    const secret = config.secret ?? (await embeddedSecret(config.dataDir, db));
    const admin = { secret, adminKey: config.adminKey, lifetimeSeconds: config.adminTokenLifetimeSeconds };
    await agreeOnSettings(
      db,
      { secret, adminKey: admin.adminKey, adminTokenLifetimeSeconds: admin.lifetimeSeconds },
      { adopt: options.adoptSettings && actorOf(options.adoptSettings) },
    );
    return {
      [DATABASE]: db,
      ...(embedded ? { embedded } : {}),
      secret,
      admin,
      jwt: config.jwt ? createJwtVerifier(config.jwt) : undefined,
      clock: options.clock ?? (() => new Date()),
      webhooks: config.webhooks,
      outbox: outboxSignal(),
    };
  } catch (error) {
    await db.close();
    throw explainDatabaseFailure(error, config, 'connect');
  }
}

/**
 * Closes the services' database once the statements in flight have ended (for the embedded
 * default, then gives up this process's lease on the server).
 */
export async function closeServices(s: Services): Promise<void> {
  // A process without a dispatcher (the CLI) leaves what it queued to the Managers': they are
  // told now rather than at their next poll (a Manager's own dispatcher told them already; one
  // NOTIFY more at its shutdown is nothing). Best effort: if it fails (the database away, at
  // most its connect timeout), the Managers' next poll finds the notifications all the same.
  if (s.outbox.anyQueued()) await tellDispatchers(s).catch(() => {});
  await s[DATABASE].close();
}

/**
 * Closes the services' database without waiting for what a use case is doing (Ctrl-C): its
 * running statements are cancelled and rolled back, and it fails, unless it had already
 * committed. `interruptedOutcome` then says which from how the use case ended.
 */
export async function interruptServices(s: Services): Promise<void> {
  await s[DATABASE].interrupt();
}

/** What became of the change of a use case stopped by interruptServices. */
export type InterruptedOutcome = 'applied' | 'not_applied' | 'unknown';

/**
 * From how the interrupted use case ended: it returned (its change was committed), it failed
 * (cancelled, refused: nothing was written), or it lost the database's answer (it may have
 * committed without the answer arriving).
 */
export function interruptedOutcome(ended: { ok: true } | { ok: false; error: unknown }): InterruptedOutcome {
  if (ended.ok) return 'applied';
  return isOutcomeUnknown(ended.error) ? 'unknown' : 'not_applied';
}
