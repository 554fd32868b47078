import { AuthError } from './auth-error.js';
import { constantTimeEqual } from './constant-time.js';
import { hmacHex } from './hashing.js';
import { TOKEN_LENGTH } from './job-token.js';

export const DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS = 3600;

/** What the apps pass in: the server secret, the admin key handed to admins, and a lifetime. */
export interface AdminTokenConfig {
  secret: string;
  adminKey: string;
  /** Length of one window in seconds; default 3600. A token is valid for 1 to 2 lifetimes. */
  lifetimeSeconds?: number;
}

export interface AdminTokenOptions extends AdminTokenConfig {
  /** The clock; default the current time. Tests inject it, nothing ever sleeps. */
  now?: Date;
}

function checkedLifetime(config: AdminTokenConfig): number {
  if (typeof config.secret !== 'string' || config.secret.length === 0) {
    throw new AuthError('invalid_config', 'the server secret is empty; configure PIPELINEJOBS_SECRET');
  }
  if (typeof config.adminKey !== 'string' || config.adminKey.length === 0) {
    throw new AuthError('invalid_config', 'the admin key is empty; configure PIPELINEJOBS_ADMIN_KEY');
  }
  const lifetime = config.lifetimeSeconds ?? DEFAULT_ADMIN_TOKEN_LIFETIME_SECONDS;
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0) {
    throw new AuthError(
      'invalid_config',
      'the admin token lifetime must be a positive whole number of seconds; check PIPELINEJOBS_ADMIN_TOKEN_LIFETIME',
    );
  }
  return lifetime;
}

function checkedWindow(now: Date, lifetime: number): number {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw new AuthError('invalid_argument', 'the clock gave an invalid date');
  return Math.floor(Math.floor(ms / 1000) / lifetime);
}

function tokenForWindow(config: AdminTokenConfig, window: number): string {
  return hmacHex(config.secret, `${config.adminKey}:${window}`, TOKEN_LENGTH);
}

/**
 * The admin token of the current window: first 16 hex of HMAC-SHA256(secret, adminKey + ":" +
 * floor(nowSeconds / lifetime)). Throws AuthError('invalid_config') for an empty secret or key
 * or a lifetime that is not a positive integer.
 */
export function adminToken(options: AdminTokenOptions): string {
  const lifetime = checkedLifetime(options);
  return tokenForWindow(options, checkedWindow(options.now ?? new Date(), lifetime));
}

/** When a token minted at `now` stops being accepted: the end of the next window. */
export function adminTokenValidUntil(config: AdminTokenConfig, now: Date): Date {
  const lifetime = checkedLifetime(config);
  return new Date((checkedWindow(now, lifetime) + 2) * lifetime * 1000);
}

/**
 * Whether `candidate` is the admin token of the current or the previous window at `now`.
 * Both comparisons always run, in constant time. Total: false for any bad input, including a
 * configuration `adminToken` would reject.
 */
export function verifyAdminToken(config: AdminTokenConfig, candidate: unknown, now: Date): boolean {
  let current: string;
  let previous: string;
  try {
    const window = checkedWindow(now, checkedLifetime(config));
    current = tokenForWindow(config, window);
    previous = tokenForWindow(config, window - 1);
  } catch {
    constantTimeEqual('0'.repeat(TOKEN_LENGTH), candidate);
    return false;
  }
  const matchesCurrent = constantTimeEqual(current, candidate);
  const matchesPrevious = constantTimeEqual(previous, candidate);
  return matchesCurrent || matchesPrevious;
}
