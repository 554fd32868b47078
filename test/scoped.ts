import { afterAll, beforeAll } from 'vitest';

/**
 * A resource for the tests of the file or describe block this is called in: opened before them,
 * closed after them. Returns a getter (call it in the tests: the resource opens in beforeAll).
 */
export function scoped<T>(open: () => Promise<T>, close: (resource: T) => Promise<void>): () => T {
  let resource: { value: T } | undefined;
  beforeAll(async () => {
    resource = { value: await open() };
  });
  afterAll(async () => {
    if (resource) await close(resource.value);
  });
  return () => {
    if (!resource) throw new Error('scoped: read the resource in a test, after beforeAll opened it');
    return resource.value;
  };
}
