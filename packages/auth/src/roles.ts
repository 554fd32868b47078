/**
 * Roles carried by API keys, JWTs and nonces, least to most privileged. Each role can do what
 * the roles before it can; the table below is the only place that says so.
 */
export const ROLES = ['reader', 'reporter', 'agent', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a request needs: read (GETs), report (messages/events), create (jobs, pipelines), admin. */
export const ACTIONS = ['read', 'report', 'create', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

const ALLOWED: Readonly<Record<Role, readonly Action[]>> = {
  reader: ['read'],
  reporter: ['read', 'report'],
  agent: ['read', 'report', 'create'],
  admin: ['read', 'report', 'create', 'admin'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAllows(role: Role, action: Action): boolean {
  return ALLOWED[role].includes(action);
}

/** The roles that may perform `action`, for messages that say which credential to use. */
export function rolesAllowing(action: Action): Role[] {
  return ROLES.filter((role) => roleAllows(role, action));
}

/** The more privileged of two roles. */
export function higherRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) >= ROLES.indexOf(b) ? a : b;
}
