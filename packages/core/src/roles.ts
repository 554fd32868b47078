/**
 * The roles a credential (API key, JWT, nonce) carries, least to most privileged. What each may
 * do is the auth package's table; the names live here so that every package (storage reading a
 * stored role, the CLI parsing `--role`) shares one list.
 */
export const ROLES = ['reader', 'reporter', 'agent', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
