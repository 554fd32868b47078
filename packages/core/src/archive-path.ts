import Hashids from 'hashids';
import { pythonJsonDumps } from './python-forms.js';
import { typedUuid } from './typed-uuid.js';

/**
 * The archive path of a job as the original client made it (docs/reference.md#archive-paths):
 * `/products/v2/<pipeline uuid>/<H(child_of)>/<H(data)>[/<instance dir>]`, every `-` removed,
 * where H is the Hashids encoding of a generic (100) typed UUID read as one 128-bit integer.
 */

/** python-datacatalog's CATALOG_TYPEDUUID_HASHIDS_SALT default: paths agree with the original's. */
export const DEFAULT_HASHIDS_SALT = 'xCPJ7PKTdp8BYYb4twh9xNYD';

/** The shortest session an instance directory is named after; a shorter one is replaced. */
export const MIN_INSTANCE_SESSION_LENGTH = 4;

export interface ArchivePathFields {
  readonly pipeline_uuid: string;
  /** The job's parents, in the order they are stored. */
  readonly child_of?: readonly string[] | undefined;
  /** The job's data when it was created. */
  readonly data: unknown;
}

export interface ArchivePathOptions {
  /** The Hashids salt; default DEFAULT_HASHIDS_SALT. */
  readonly salt?: string | undefined;
  /**
   * Adds the instance directory `<session>-YYYYMMDDTHHmmssZ` (UTC), so that each run of the same
   * job gets its own directory. The session must be at least MIN_INSTANCE_SESSION_LENGTH characters.
   */
  readonly instance?: { readonly session: string; readonly at: Date } | undefined;
}

/** H(text): the Hashids of the generic typed UUID of `text`, as one 128-bit integer. */
export function archiveHash(text: string, salt: string = DEFAULT_HASHIDS_SALT): string {
  const uuid = typedUuid('generic', text);
  return new Hashids(salt).encode(BigInt(`0x${uuid.replaceAll('-', '')}`));
}

/** `<session>-YYYYMMDDTHHmmssZ` in UTC. */
export function instanceDirectory(session: string, at: Date): string {
  if (session.length < MIN_INSTANCE_SESSION_LENGTH) {
    throw new TypeError(
      `An instance directory needs a session of at least ${MIN_INSTANCE_SESSION_LENGTH} characters, not '${session}'`,
    );
  }
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${session}-${stamp}`;
}

export function archivePath(job: ArchivePathFields, options: ArchivePathOptions = {}): string {
  const salt = options.salt ?? DEFAULT_HASHIDS_SALT;
  const parts = [
    '/products/v2',
    job.pipeline_uuid,
    archiveHash((job.child_of ?? []).join(':'), salt),
    archiveHash(pythonJsonDumps(job.data), salt),
  ];
  if (options.instance) parts.push(instanceDirectory(options.instance.session, options.instance.at));
  return parts.join('/').replaceAll('-', '');
}
