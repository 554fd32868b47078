import { isAdminEvent, type JobUuid, type MessageEventName } from '@pipelinejobs/core';
import { type AdminTokenConfig, verifyAdminToken } from './admin-token.js';
import { verifyJobToken } from './job-token.js';
import type { Principal } from './principal.js';
import { type Action, roleAllows, rolesAllowing } from './roles.js';

export type Authorization =
  | { ok: true; via: 'job_token' | 'admin_token' }
  | { ok: false; refusal: 'forbidden'; message: string };

export interface AuthorizeEventInput {
  principal: Principal;
  /** The event, parsed where it entered. */
  event: MessageEventName;
  jobUuid: JobUuid;
  /** The job's current token version (rotation bumps it). */
  tokenVersion: number;
  /** The token the caller sent (body `token` or URL parameter `token`), if any. */
  token: unknown;
  /** The server secret job tokens are derived from. */
  secret: string;
  admin: AdminTokenConfig;
  now: Date;
}

export type AdminAction = 'delete' | 'rotate_token' | 'set_deadlines';

export interface AuthorizeAdminActionInput {
  principal: Principal;
  action: AdminAction;
  jobUuid: JobUuid;
  token: unknown;
  admin: AdminTokenConfig;
  now: Date;
}

/** Said for both ways in: the HTTP Manager and the CLI (whose option is --token). */
const TOKEN_WHERE = 'pass `token` in the JSON body or the URL (`--token` on the command line)';
const MINT_ADMIN = 'mint one with `pipelinejobs admin-token`';

function forbid(message: string): Authorization {
  return { ok: false, refusal: 'forbidden', message };
}

function missing(token: unknown): boolean {
  return token === undefined || token === null || token === '';
}

/** Role and scope checks shared by events and admin actions; undefined when they pass. */
function principalRefusal(principal: Principal, jobUuid: JobUuid, action: Action, doing: string) {
  if (!roleAllows(principal.role, action)) {
    return forbid(
      `role \`${principal.role}\` cannot ${doing}; use a credential with role ${rolesAllowing(action).join(', ')}`,
    );
  }
  if (principal.scope.jobUuid !== null && principal.scope.jobUuid !== jobUuid) {
    return forbid(`this ${principal.kind === 'nonce' ? 'nonce' : 'credential'} is limited to another job`);
  }
  return undefined;
}

/**
 * Whether an authenticated caller may apply `event` to the job. The caller's role must allow
 * `report`, a job-scoped credential must be scoped to this job, and a token is always required
 * on top: `reset` and `ready` need an admin token; other events the job's token or an admin token.
 * Both token checks run in constant time and give the same message for any wrong token.
 */
export function authorizeEvent(input: AuthorizeEventInput): Authorization {
  const name = input.event;
  const refused = principalRefusal(input.principal, input.jobUuid, 'report', 'send events');
  if (refused !== undefined) return refused;
  const adminOnly = isAdminEvent(name);
  if (missing(input.token)) {
    return forbid(
      adminOnly
        ? `an admin token is required for \`${name}\`: ${TOKEN_WHERE} (${MINT_ADMIN})`
        : `a job token is required: ${TOKEN_WHERE} (it was returned when the job was created)`,
    );
  }
  if (adminOnly) {
    return verifyAdminToken(input.admin, input.token, input.now)
      ? { ok: true, via: 'admin_token' }
      : forbid(`\`${name}\` needs an admin token and the token given is not a current one; ${MINT_ADMIN}`);
  }
  // The job's token settles most events; the admin token is checked only when it does not.
  if (verifyJobToken(input.secret, input.jobUuid, input.tokenVersion, input.token)) {
    return { ok: true, via: 'job_token' };
  }
  if (verifyAdminToken(input.admin, input.token, input.now)) return { ok: true, via: 'admin_token' };
  return forbid(
    "the token is not valid for this job; use the job's token (returned when it was created, it changes only when an admin rotates it) or an admin token",
  );
}

/** What each admin action is called in a refusal: what the role cannot do, what needs the token. */
const ADMIN_ACTIONS: Record<AdminAction, readonly [string, string]> = {
  delete: ['delete jobs', 'deleting a job'],
  rotate_token: ["rotate a job's token", "rotating a job's token"],
  // A budget of 1ms fails the job at the next sweep: as strong as a `fail`, so a token is needed.
  set_deadlines: ["change a job's deadlines", "changing a job's deadlines"],
};

/**
 * Whether an authenticated caller may delete the job, rotate its token or change its deadlines: the role must allow
 * `report` (the original sends deletes as messages), the scope must match, and the token must
 * be a current admin token. Apps may demand a stronger role on top for their own routes.
 */
export function authorizeAdminAction(input: AuthorizeAdminActionInput): Authorization {
  const [doing, what] = ADMIN_ACTIONS[input.action];
  const refused = principalRefusal(input.principal, input.jobUuid, 'report', doing);
  if (refused !== undefined) return refused;
  if (missing(input.token)) {
    // The deadlines' body is the budgets document itself: the token can only come in the URL.
    const where = input.action === 'set_deadlines' ? 'pass `token` in the URL (`?token=`)' : TOKEN_WHERE;
    return forbid(`an admin token is required for ${what}: ${where} (${MINT_ADMIN})`);
  }
  if (verifyAdminToken(input.admin, input.token, input.now)) return { ok: true, via: 'admin_token' };
  return forbid(`${what} needs an admin token and the token given is not a current one; ${MINT_ADMIN}`);
}
