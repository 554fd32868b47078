import { isRole, ROLES, type Role } from '@pipelinejobs/core';

/**
 * Roles carried by API keys, JWTs and nonces (core's list, least to most privileged). Each role
 * can do what the roles before it can; the table below is the only place that says so.
 */
export { isRole, ROLES, type Role };

/** What a request needs: read (GETs), report (messages/events), create (jobs, pipelines), admin. */
export const ACTIONS = ['read', 'report', 'create', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

const ALLOWED: Readonly<Record<Role, readonly Action[]>> = {
  reader: ['read'],
  reporter: ['read', 'report'],
  agent: ['read', 'report', 'create'],
  admin: ['read', 'report', 'create', 'admin'],
};

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
