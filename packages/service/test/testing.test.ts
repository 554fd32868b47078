import { readConfig } from '@pipelinejobs/service';
import { createTestServices, databaseOf, TEST_SECRET } from '@pipelinejobs/service/testing';
import { describe, expect, it } from 'vitest';

describe('createTestServices', () => {
  const db = {} as Parameters<typeof createTestServices>[0];

  it('derives the admin token config from the one secret, with the Manager default lifetime', () => {
    const services = createTestServices(db);
    expect(databaseOf(services)).toBe(db);
    expect(services).toMatchObject({
      secret: TEST_SECRET,
      admin: { secret: TEST_SECRET, adminKey: 'admin', lifetimeSeconds: 3600 },
      jwt: undefined,
    });
    expect(services.clock()).toBeInstanceOf(Date);
  });

  it('takes the secret, admin key, lifetime and clock a test gives', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const services = createTestServices(db, {
      secret: 'another-secret-0123456789abcdefghijklmnop',
      adminKey: 'k2',
      adminTokenLifetimeSeconds: 60,
      clock: () => now,
    });
    expect(services.admin).toEqual({
      secret: 'another-secret-0123456789abcdefghijklmnop',
      adminKey: 'k2',
      lifetimeSeconds: 60,
    });
    expect(services.secret).toBe('another-secret-0123456789abcdefghijklmnop');
    expect(services.clock()).toBe(now);
  });

  it('has a default secret a Manager process accepts, so a test may start one with it', () => {
    const config = readConfig({ DATABASE_URL: 'postgres://h/db', PIPELINEJOBS_SECRET: TEST_SECRET }, '/tmp');
    expect(config.secret).toBe(TEST_SECRET);
  });
});
