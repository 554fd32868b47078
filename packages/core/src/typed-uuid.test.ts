import { describe, expect, it } from 'vitest';
import {
  CATALOG_UUID_NAMESPACE,
  isTypedUuid,
  NAMESPACE_DNS,
  randomTypedUuid,
  typedUuid,
  UUID_TYPES,
  uuid5,
  uuidTypeOf,
} from './typed-uuid.js';

describe('typed UUIDs', () => {
  it('uses uuid3(NAMESPACE_DNS, "sd2e.org") as the catalog namespace', () => {
    expect(CATALOG_UUID_NAMESPACE).toBe('54765aeb-44ca-374a-9a9f-eb4658383ee4');
  });

  it('computes standard UUIDv5 (the Python docs example)', () => {
    expect(uuid5(NAMESPACE_DNS, 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('makes generic_uuid("{}") as documented', () => {
    expect(typedUuid('generic', '{}')).toBe('10039c5a-f000-5c82-a032-0c5207b2ae19');
  });

  it('matches Python for other types and for non-ASCII text (encoded as UTF-8)', () => {
    expect(typedUuid('pipelinejob_event', 'abc')).toBe('10862692-eb93-5fc4-94d5-a17d95a507db');
    expect(typedUuid('file', 'café 😀')).toBe('1052c9c5-68c6-5f71-b003-c27bb3c0bf4e');
  });

  it('overwrites only the first 3 characters of the UUIDv5', () => {
    const text = 'Why did it have to be snakes?';
    const typed = typedUuid('pipeline', text);
    expect(typed.slice(0, 3)).toBe('106');
    expect(typed.slice(3)).toBe(uuid5(CATALOG_UUID_NAMESPACE, text).slice(3));
  });

  it('refuses a type name it does not know (event is pipelinejob_event), naming the types', () => {
    expect(() => typedUuid('event' as never, 'abc')).toThrow(
      /^Unknown typed UUID type 'event'; types are: generic, .*pipelinejob_event/,
    );
    expect(() => typedUuid('toString' as never, 'abc')).toThrow(TypeError);
  });

  it('refuses text with a lone surrogate, which Python cannot encode', () => {
    expect(() => typedUuid('generic', 'a\ud800')).toThrow(TypeError);
  });

  it('lists 24 types with distinct 3-digit prefixes', () => {
    const prefixes = Object.values(UUID_TYPES);
    expect(prefixes).toHaveLength(24);
    expect(new Set(prefixes).size).toBe(24);
    expect(UUID_TYPES).toMatchObject({
      generic: '100',
      pipeline: '106',
      pipelinejob: '107',
      structured_request: '125',
    });
  });
});

describe('isTypedUuid and uuidTypeOf', () => {
  const job = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';

  it('recognises a typed UUID and names its type', () => {
    expect(isTypedUuid(job)).toBe(true);
    expect(isTypedUuid(job, 'pipelinejob')).toBe(true);
    expect(uuidTypeOf(job)).toBe('pipelinejob');
  });

  it('rejects a typed UUID of another type when a type is asked for', () => {
    expect(isTypedUuid(job, 'pipeline')).toBe(false);
  });

  it('accepts upper-case hex', () => {
    expect(isTypedUuid(job.toUpperCase(), 'pipelinejob')).toBe(true);
  });

  it('rejects unknown prefixes', () => {
    expect(isTypedUuid('112b93f3-1eae-5e79-8a18-0a480f8aa3a5')).toBe(false);
    expect(uuidTypeOf('54765aeb-44ca-374a-9a9f-eb4658383ee4')).toBeUndefined();
  });

  it('is anchored at both ends, unlike the original schema patterns', () => {
    expect(isTypedUuid(`${job}0`)).toBe(false);
    expect(isTypedUuid(`${job}\n`)).toBe(false);
    expect(isTypedUuid(`uri:urn:${job}`)).toBe(false);
    expect(isTypedUuid(` ${job}`)).toBe(false);
  });

  it('rejects the other spellings Python accepts (no dashes, braces, urn:uuid:)', () => {
    expect(isTypedUuid(job.replaceAll('-', ''))).toBe(false);
    expect(isTypedUuid(`{${job}}`)).toBe(false);
    expect(isTypedUuid(`urn:uuid:${job}`)).toBe(false);
  });

  it('rejects non-hex characters and non-strings', () => {
    expect(isTypedUuid('107b93f3-1eae-5e79-8a18-0a480f8aa3ag')).toBe(false);
    expect(isTypedUuid(107)).toBe(false);
    expect(isTypedUuid(null)).toBe(false);
    expect(uuidTypeOf(undefined)).toBeUndefined();
  });
});

describe('randomTypedUuid', () => {
  it('makes a fresh version-5 typed UUID of the asked type each call', () => {
    const a = randomTypedUuid('pipelinejob_event');
    const b = randomTypedUuid('pipelinejob_event');
    expect(a).not.toBe(b);
    for (const value of [a, b]) {
      expect(isTypedUuid(value, 'pipelinejob_event')).toBe(true);
      expect(value[14]).toBe('5');
      expect(value[19]).toMatch(/[89ab]/);
    }
  });

  it('draws distinct values and refuses an unknown type as typedUuid does', () => {
    const values = new Set(Array.from({ length: 10_000 }, () => randomTypedUuid('pipelinejob_event')));
    expect(values.size).toBe(10_000);
    expect([...values].every((v) => isTypedUuid(v, 'pipelinejob_event') && v === v.toLowerCase())).toBe(true);
    expect(() => randomTypedUuid('nope' as 'generic')).toThrow(/Unknown typed UUID type 'nope'/);
  });
});
