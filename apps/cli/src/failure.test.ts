import { EmbeddedPostgresError } from '@pipelinejobs/embedded-postgres';
import { ConfigError, ServiceError } from '@pipelinejobs/service';
import { StorageError } from '@pipelinejobs/storage';
import { describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { failureOf } from './failure.js';

describe('failureOf', () => {
  it('reports a configuration error as a usage error naming the variable', () => {
    const failure = failureOf(new ConfigError('PIPELINEJOBS_SECRET', 'is required with DATABASE_URL'));
    expect(failure).toEqual({
      line: 'error: PIPELINEJOBS_SECRET: is required with DATABASE_URL',
      exitCode: EXIT.usage,
      code: 'usage',
    });
  });

  it('adds the state and the allowed events to a refusal that does not name them', () => {
    const failure = failureOf(
      new StorageError('not_allowed', "Unknown event 'frob'", {
        state: 'FINISHED',
        allowed: ['retire', 'reset'],
      }),
    );
    expect(failure.exitCode).toBe(EXIT.refused);
    expect(failure.line).toBe("error: Unknown event 'frob' (job is FINISHED; allowed: retire, reset)");
  });

  it('maps storage and service codes through the exit-code table', () => {
    expect(failureOf(new StorageError('gone', 'Job x was deleted')).exitCode).toBe(EXIT.notFound);
    expect(failureOf(new EmbeddedPostgresError('cannot start'))).toEqual({
      line: 'error: cannot start',
      exitCode: EXIT.unavailable,
      code: 'unavailable',
    });
    expect(failureOf(new ServiceError('forbidden', 'no')).exitCode).toBe(EXIT.unauthorised);
    expect(failureOf(new ServiceError('invalid', 'bad')).exitCode).toBe(EXIT.invalid);
  });

  it('names the cause of an unexpected error on one line, without secrets', () => {
    const failure = failureOf(new Error('connect to postgres://u:hunter22@db/x failed\n    at somewhere'));
    expect(failure.exitCode).toBe(EXIT.unexpected);
    expect(failure.line).not.toContain('hunter22');
    expect(failure.line).not.toContain('\n');
    expect(failure.line).toMatch(/^error: Unexpected error: connect to postgres:/);
  });
});
