import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  generateApiKey,
  generateNonce,
  hashApiKey,
  hashNonce,
  isRole,
  looksLikeApiKey,
  looksLikeNonce,
  ROLES,
  roleAllows,
  rolesAllowing,
} from '../src/index.js';

describe('generateApiKey', () => {
  it('makes a pjm_ key of 24 random bytes in base64url, its 12-character prefix and its hash', () => {
    const { key, prefix, hash } = generateApiKey();
    expect(key).toMatch(/^pjm_[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(24);
    expect(prefix).toBe(key.slice(0, 12));
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hashApiKey(key)).toBe(hash);
  });

  it('never makes the same key twice', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key));
    expect(keys.size).toBe(1000);
  });

  it('recognises its own keys and nothing else', () => {
    const { key } = generateApiKey();
    expect(looksLikeApiKey(key)).toBe(true);
    expect(looksLikeApiKey(key.slice(0, -1))).toBe(false);
    expect(looksLikeApiKey(`${key}A`)).toBe(false);
    expect(looksLikeApiKey(`pjn_${key.slice(4)}`)).toBe(false);
    expect(looksLikeApiKey(`${key.slice(0, 10)}!${key.slice(11)}`)).toBe(false);
    expect(looksLikeApiKey(undefined)).toBe(false);
  });

  it('hashes a key tampered by one character to another hash', () => {
    const { key, hash } = generateApiKey();
    const tampered = key.slice(0, 20) + (key[20] === 'A' ? 'B' : 'A') + key.slice(21);
    expect(hashApiKey(tampered)).not.toBe(hash);
  });
});

describe('generateNonce', () => {
  it('makes a pjn_ nonce of 24 random bytes in base64url, its prefix and its hash', () => {
    const { nonce, prefix, hash } = generateNonce();
    expect(nonce).toMatch(/^pjn_[A-Za-z0-9_-]{32}$/);
    expect(prefix).toBe(nonce.slice(0, 12));
    expect(hash).toBe(createHash('sha256').update(nonce).digest('hex'));
    expect(hashNonce(nonce)).toBe(hash);
    expect(looksLikeNonce(nonce)).toBe(true);
    expect(looksLikeNonce(generateApiKey().key)).toBe(false);
  });
});

describe('roles', () => {
  it('lists the four roles from least to most privileged', () => {
    expect(ROLES).toEqual(['reader', 'reporter', 'agent', 'admin']);
    expect(isRole('agent')).toBe(true);
    expect(isRole('root')).toBe(false);
  });

  it('lets each role do what the roles below it can, and no more', () => {
    const table = Object.fromEntries(ROLES.map((role) => [role, ACTIONS.filter((a) => roleAllows(role, a))]));
    expect(table).toEqual({
      reader: ['read'],
      reporter: ['read', 'report'],
      agent: ['read', 'report', 'create'],
      admin: ['read', 'report', 'create', 'admin'],
    });
  });

  it('names the roles that may perform an action', () => {
    expect(rolesAllowing('create')).toEqual(['agent', 'admin']);
  });
});
