import { isRole, type Role } from '@pipelinejobs/core';
import { StorageError } from './errors.js';

/**
 * A role read from the database, checked: a value no code knows (written by hand, or by a newer
 * version) is refused rather than read as some default role.
 */
export function storedRole(value: string, what: string): Role {
  if (isRole(value)) return value;
  throw new StorageError('internal', `${what} has a role this server does not know; fix or revoke it`, {});
}
