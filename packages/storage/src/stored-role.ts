import { isRole, type Role } from '@pipelinejobs/core';
import type { UnknownRole } from '@pipelinejobs/schemas';

/**
 * A role read from the database: a value no code knows (written by hand, or by a newer version)
 * is kept as `{unknown}`, to be shown and refused, rather than read as some default role.
 */
export function storedRole(value: string): Role | UnknownRole {
  return isRole(value) ? value : { unknown: value };
}
