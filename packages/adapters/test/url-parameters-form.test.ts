import { loadFixture, MANAGER_JOB, MANAGER_TOKEN } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { parseInbound } from '../src/index.js';
import { eventOf as event } from './event-of.js';

const empty = loadFixture('sd2e/manager/2-local-event-empty.json');

describe('URL-parameter event', () => {
  it('turns {} with ?event=fail into fail with the empty body as data', () => {
    expect(event(empty, { uuid: MANAGER_JOB, token: MANAGER_TOKEN, event: 'fail' })).toEqual({
      kind: 'event',
      form: 'params',
      jobUuid: MANAGER_JOB,
      event: 'fail',
      token: MANAGER_TOKEN,
      data: {},
    });
  });

  it('turns {} with ?status=FAILED into fail, recording the status', () => {
    expect(event(empty, { uuid: MANAGER_JOB, token: MANAGER_TOKEN, status: 'FAILED' })).toMatchObject({
      event: 'fail',
      data: { status: 'FAILED' },
    });
  });

  it('accepts name as a synonym of event, in any letter case', () => {
    expect(event(undefined, { uuid: MANAGER_JOB, name: 'Finish' }).event).toBe('finish');
  });

  it('attaches a JSON object body as the data, as the original documentation says', () => {
    const body = { arbitrary: 'key value data' };
    expect(event(body, { uuid: MANAGER_JOB, event: 'finish' }).data).toEqual(body);
  });

  it('wraps a non-object JSON body as {body: value}', () => {
    expect(event([1, 2, 3], { uuid: MANAGER_JOB, event: 'update' }).data).toEqual({ body: [1, 2, 3] });
    expect(event('plain text', { uuid: MANAGER_JOB, event: 'update' }).data).toEqual({ body: 'plain text' });
    expect(event(null, { uuid: MANAGER_JOB, event: 'update' }).data).toEqual({ body: null });
  });

  it('puts the note URL parameter into data.note', () => {
    expect(event(undefined, { uuid: MANAGER_JOB, event: 'update', note: 'disk full' }).data).toEqual({
      note: 'disk full',
    });
    expect(event({ a: 1 }, { uuid: MANAGER_JOB, event: 'update', note: 'n' }).data).toEqual({
      a: 1,
      note: 'n',
    });
  });

  it('leaves data undefined with no body, no note and no status', () => {
    expect(event(undefined, { uuid: MANAGER_JOB, event: 'run' }).data).toBeUndefined();
  });

  it('passes a well-typed token of the wrong format through for auth to refuse', () => {
    expect(event(undefined, { uuid: MANAGER_JOB, event: 'run', token: 'nope' }).token).toBe('nope');
  });

  it('redacts a token or nonce found in the note or the body', () => {
    const command = event(
      { callback: `https://h/m?x-nonce=SD2E_nonce1&token=${MANAGER_TOKEN}` },
      { uuid: MANAGER_JOB, event: 'update', note: `retry https://h/m?token=${MANAGER_TOKEN}` },
    );
    const text = JSON.stringify(command.data);
    expect(text).not.toContain(MANAGER_TOKEN);
    expect(text).not.toContain('SD2E_nonce1');
  });

  it('refuses a URL uuid that is not a job UUID', () => {
    const result = parseInbound({ body: undefined, query: { uuid: 'abc', event: 'run' }, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Invalid job UUID' });
    expect(result.kind === 'refusal' && result.errors).toEqual([
      { path: '/uuid', message: '/uuid must be a job UUID (107...)' },
    ]);
  });

  it('refuses ?event=create with a pointer to POST /jobs', () => {
    const result = parseInbound({
      body: undefined,
      query: { uuid: MANAGER_JOB, event: 'CREATE' },
      headers: {},
    });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Reserved event' });
    expect(result.kind === 'refusal' && result.detail).toContain('POST /jobs');
  });

  it('refuses an unknown URL event, listing the known ones and not echoing the value', () => {
    const result = parseInbound({
      body: undefined,
      query: { uuid: MANAGER_JOB, event: 'c2f338f3e79e4f86' },
      headers: {},
    });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Unknown event' });
    expect(result.kind === 'refusal' && result.detail).toContain('run, update, resource, fail, finish');
    expect(JSON.stringify(result)).not.toContain('c2f338f3e79e4f86');
  });
});
