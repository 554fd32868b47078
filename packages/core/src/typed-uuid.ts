import { createHash, randomUUID } from 'node:crypto';

/**
 * Typed UUIDs (docs/reference.md#typed-uuids): a UUIDv5 in the catalog namespace whose first 3 hex characters are
 * overwritten with a prefix naming the record type. Version and variant bits are left as UUIDv5 set them.
 */
export const UUID_TYPES = {
  generic: '100',
  challenge_problem: '101',
  experiment: '102',
  sample: '103',
  measurement: '104',
  file: '105',
  pipeline: '106',
  pipelinejob: '107',
  pipelinejob_event: '108',
  reference: '109',
  product: '110',
  upload: '111',
  experiment_design: '114',
  input_classifier: '115',
  fixity: '116',
  process: '117',
  annotation: '118',
  inline_annotation: '119',
  query: '120',
  dashboard: '121',
  tag_annotation: '122',
  text_annotation: '123',
  association: '124',
  structured_request: '125',
} as const;

export type TypedUuidType = keyof typeof UUID_TYPES;

/** RFC 4122 DNS namespace, the parent of the catalog namespace. */
export const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

const TYPE_BY_PREFIX: ReadonlyMap<string, TypedUuidType> = new Map(
  Object.entries(UUID_TYPES).map(([type, prefix]) => [prefix, type as TypedUuidType]),
);

// Anchored at both ends, unlike the original schema patterns: trailing junk is not a UUID.
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Python encodes the name as UTF-8 and raises on lone surrogates; Node would silently write U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

/** RFC 4122 name-based UUID (v3 = MD5, v5 = SHA-1) in canonical lower-case form. */
function nameBasedUuid(hash: 'md5' | 'sha1', version: 3 | 5, namespace: string, name: string): string {
  if (LONE_SURROGATE.test(name)) throw new TypeError('UUID name contains a lone surrogate');
  const bytes = createHash(hash)
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | (version << 4);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Catalog namespace: uuid3(NAMESPACE_DNS, 'sd2e.org'), the default CATALOG_DNS_DOMAIN. */
export const CATALOG_UUID_NAMESPACE: string = nameBasedUuid('md5', 3, NAMESPACE_DNS, 'sd2e.org');

/** Standard UUIDv5 of `name` (UTF-8) in `namespace`. */
export function uuid5(namespace: string, name: string): string {
  return nameBasedUuid('sha1', 5, namespace, name);
}

/** The typed UUID of `text`: uuid5 in the catalog namespace with its first 3 characters replaced by the prefix. */
export function typedUuid(type: TypedUuidType, text: string): string {
  return prefixOf(type) + uuid5(CATALOG_UUID_NAMESPACE, text).slice(3);
}

/** The type's prefix. Callers in plain JavaScript can pass any name: an unknown one must not become 'undefined...'. */
function prefixOf(type: TypedUuidType): string {
  const prefix: string | undefined = Object.hasOwn(UUID_TYPES, type) ? UUID_TYPES[type] : undefined;
  if (prefix === undefined) {
    throw new TypeError(
      `Unknown typed UUID type '${String(type)}'; types are: ${Object.keys(UUID_TYPES).join(', ')}`,
    );
  }
  return prefix;
}

/**
 * A fresh typed UUID, for values that identify nothing deterministic, such as history event uuids
 * (`pipelinejob_event`). The original hashed 128 random characters; a hash of random text is as
 * random as its input, so this takes the random bits from `crypto.randomUUID()` (122 of them)
 * and sets what a typed UUID fixes: the type's prefix, version 5, the RFC 4122 variant (which a
 * random UUID already has). The same shape as `typedUuid`'s, and as unlikely to collide.
 */
export function randomTypedUuid(type: TypedUuidType): string {
  const random = randomUUID();
  return `${prefixOf(type)}${random.slice(3, 14)}5${random.slice(15)}`;
}

/** The type named by a typed UUID's prefix, or undefined when the value is not a UUID or the prefix is unknown. */
export function uuidTypeOf(value: unknown): TypedUuidType | undefined {
  if (typeof value !== 'string' || !UUID_SHAPE.test(value)) return undefined;
  return TYPE_BY_PREFIX.get(value.slice(0, 3));
}

/**
 * Whether `value` is a typed UUID: exactly 8-4-4-4-12 hex (case-insensitive, nothing before or after) with a
 * known prefix, and, when `type` is given, that type's prefix.
 */
export function isTypedUuid(value: unknown, type?: TypedUuidType): value is string {
  const found = uuidTypeOf(value);
  return found !== undefined && (type === undefined || found === type);
}

declare const uuidBrand: unique symbol;

/**
 * A typed UUID checked once where it entered (its type's prefix, the 8-4-4-4-12 shape) and in lower
 * case: what the rest of the code takes, so nothing downstream checks or lower-cases it again.
 */
export type TypedUuid<T extends TypedUuidType> = string & { readonly [uuidBrand]: T };
export type JobUuid = TypedUuid<'pipelinejob'>;
export type PipelineUuid = TypedUuid<'pipeline'>;

/** `value` as a typed UUID of `type`, in lower case, or undefined when it is not one (any case accepted). */
function parseTypedUuid<T extends TypedUuidType>(value: unknown, type: T): TypedUuid<T> | undefined {
  return isTypedUuid(value, type) ? (value.toLowerCase() as TypedUuid<T>) : undefined;
}

export const parseJobUuid = (value: unknown): JobUuid | undefined => parseTypedUuid(value, 'pipelinejob');
export const parsePipelineUuid = (value: unknown): PipelineUuid | undefined =>
  parseTypedUuid(value, 'pipeline');
