import { loadFixture, MANAGER_JOB, MANAGER_TOKEN, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { parseInbound } from '../src/index.js';
import { eventOf as event } from './event-of.js';

const running = loadFixture('sd2e/manager/2-local-event-tacobot-agave-running.json') as Record<
  string,
  unknown
>;
const finished = loadFixture('sd2e/manager/2-local-event-tacobot-agave-finished.json');

describe('Agave v2 job callback', () => {
  it('turns a RUNNING record into run, keeping the record without _links, retries and localId', () => {
    const command = event(running, { uuid: MANAGER_JOB, token: MANAGER_TOKEN });
    expect(command).toMatchObject({ kind: 'event', form: 'agave', jobUuid: MANAGER_JOB, event: 'run' });
    expect(command.token).toBe(MANAGER_TOKEN);
    expect(command.idempotencyKey).toBeUndefined();
    const { _links, retries, localId, ...kept } = running;
    expect(command.data).toEqual({ ...kept, status: 'RUNNING' });
    expect(command.data).not.toHaveProperty('_links');
    expect(command.data).not.toHaveProperty('retries');
    expect(command.data).not.toHaveProperty('localId');
  });

  it('turns a FINISHED record into finish', () => {
    const command = event(finished, { uuid: MANAGER_JOB, token: MANAGER_TOKEN });
    expect(command.event).toBe('finish');
    expect(command.data?.status).toBe('FINISHED');
  });

  it('accepts a URL status that agrees with the record (any letter case), as Agave fills JOB_STATUS', () => {
    const command = event(finished, { uuid: MANAGER_JOB, token: MANAGER_TOKEN, status: 'finished' });
    expect(command.event).toBe('finish');
    expect(command.data?.status).toBe('FINISHED');
  });

  it('refuses a URL status that differs from the record, naming both, instead of choosing one', () => {
    const result = parseInbound({
      body: running,
      query: { uuid: MANAGER_JOB, token: MANAGER_TOKEN, status: 'FINISHED' },
      headers: {},
    });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Body and URL disagree' });
    expect(result.kind === 'refusal' && result.errors?.map((e) => e.path)).toEqual([
      '/status',
      '/url/status',
    ]);
  });

  it('reads the URL state as a synonym of status', () => {
    expect(event({ ...running, status: 'FAILED' }, { uuid: MANAGER_JOB, state: 'failed' })).toMatchObject({
      event: 'fail',
      data: expect.objectContaining({ status: 'FAILED' }),
    });
  });

  it('lets a URL event win over the mapped status', () => {
    const command = event(running, { uuid: MANAGER_JOB, token: MANAGER_TOKEN, event: 'UPDATE' });
    expect(command.event).toBe('update');
    expect(command.data?.status).toBe('RUNNING');
  });

  it('maps the status through core: KILLED fails the job, an unknown status is an update', () => {
    expect(event({ ...running, status: 'KILLED' }, { uuid: MANAGER_JOB, status: 'KILLED' }).event).toBe(
      'fail',
    );
    expect(event({ ...running, status: 'SOMETHING_NEW' }, { uuid: MANAGER_JOB }).event).toBe('update');
  });

  it('keeps the note URL parameter as data.note', () => {
    const command = event(running, { uuid: MANAGER_JOB, status: 'RUNNING', note: 'out of memory' });
    expect(command.data?.note).toBe('out of memory');
  });

  it('recognises the full Agave record of the jobs fixtures', () => {
    const body = loadFixture('sd2e/jobs/tacobot-agave-run.json');
    expect(event(body, { uuid: TACOBOT_JOB }).event).toBe('finish');
  });

  it('refuses a callback without ?uuid=, saying where the job UUID goes', () => {
    const result = parseInbound({ body: running, query: { token: MANAGER_TOKEN }, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Missing job UUID' });
    expect(result.kind === 'refusal' && result.detail).toContain('?uuid=');
  });

  it('refuses an Agave-looking record that misses required fields, naming them', () => {
    const { owner, ...body } = running;
    const result = parseInbound({ body, query: { uuid: MANAGER_JOB }, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Invalid Agave job callback' });
    expect(result.kind === 'refusal' && result.errors).toContainEqual({
      path: '/owner',
      message: '/owner is required',
    });
  });

  it('takes an Agave-looking body that is not a valid record as data when the URL names the event', () => {
    const body = { appId: 'my-app', status: 'custom' };
    const command = event(body, { uuid: MANAGER_JOB, event: 'update' });
    expect(command).toMatchObject({ form: 'params', event: 'update', data: body });
  });

  it('redacts a token found in the record', () => {
    const body = { ...running, callbackUrl: `https://h/messages?uuid=${MANAGER_JOB}&token=${MANAGER_TOKEN}` };
    const command = event(body, { uuid: MANAGER_JOB, token: MANAGER_TOKEN });
    expect(JSON.stringify(command.data)).not.toContain(MANAGER_TOKEN);
  });
});
