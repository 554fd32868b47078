import { FIXTURE_TOKEN, loadFixture, MANAGER_JOB, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { parseInbound } from '../src/index.js';

describe('delete action', () => {
  it('turns 4-local-event-tacobot-delete.json into a forced delete', () => {
    const body = loadFixture('sd2e/manager/4-local-event-tacobot-delete.json');
    expect(parseInbound({ body, query: {}, headers: {} })).toEqual({
      kind: 'delete',
      jobUuid: MANAGER_JOB,
      force: true,
      token: FIXTURE_TOKEN,
    });
  });

  it('hides the job (force false) when force is left out', () => {
    const body = loadFixture('sd2e/jobs/tacobot-delete.json');
    expect(parseInbound({ body, query: {}, headers: {} })).toMatchObject({
      kind: 'delete',
      jobUuid: TACOBOT_JOB,
      force: false,
    });
  });

  it('takes the token from the URL when the body has none', () => {
    const body = { uuid: TACOBOT_JOB, action: 'delete' };
    expect(parseInbound({ body, query: { token: 'whatever' }, headers: {} })).toMatchObject({
      kind: 'delete',
      token: 'whatever',
    });
  });

  it('refuses a delete action with unknown fields or a non-boolean force', () => {
    const body = { uuid: TACOBOT_JOB, action: 'delete', force: 'yes', purge: true };
    const result = parseInbound({ body, query: {}, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Invalid delete action' });
    expect(result.kind === 'refusal' && result.errors?.map((e) => e.path).sort()).toEqual([
      '/force',
      '/purge',
    ]);
  });

  it('wins over the JSON event form when the body has both uuid and action "delete"', () => {
    const body = { uuid: TACOBOT_JOB, action: 'delete', name: 'run' };
    expect(parseInbound({ body, query: {}, headers: {} })).toMatchObject({
      kind: 'refusal',
      title: 'Invalid delete action',
    });
  });
});
