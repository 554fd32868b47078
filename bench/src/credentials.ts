import { randomBytes } from 'node:crypto';
import { generateApiKey } from '@pipelinejobs/auth';
import { insertApiKey, openDatabase } from '@pipelinejobs/storage';

/** A server secret for the Manager of this run; job tokens derive from it. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/**
 * A `reporter` API key (may send events and read jobs): the least role the measured requests
 * need, as a real platform integration would use. Stored hashed, as the CLI's `keys create` does.
 */
export async function createReporterKey(databaseUrl: string): Promise<string> {
  const db = await openDatabase({ url: databaseUrl, poolSize: 1 }, { migrate: false });
  try {
    const key = generateApiKey();
    await insertApiKey(
      db,
      { hash: key.hash, prefix: key.prefix, role: 'reporter', label: 'bench' },
      { kind: 'cli', id: 'bench' },
    );
    return key.key;
  } finally {
    await db.close();
  }
}
