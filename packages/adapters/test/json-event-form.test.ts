import { EVENT_NAMES } from '@pipelinejobs/core';
import { FIXTURE_TOKEN, loadFixture, MANAGER_JOB, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { parseInbound } from '../src/index.js';
import { eventOf as event } from './event-of.js';

function parse(body: unknown, query: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return parseInbound({ body, query, headers });
}

describe('JSON event message', () => {
  it('turns tacobot-run.json into run with its data and token', () => {
    expect(event(loadFixture('sd2e/jobs/tacobot-run.json'))).toEqual({
      kind: 'event',
      form: 'json',
      jobUuid: TACOBOT_JOB,
      event: 'run',
      token: FIXTURE_TOKEN,
      data: { 'key-from-run': 'key value data' },
    });
  });

  it.each([
    ['sd2e/jobs/tacobot-update.json', 'update'],
    ['sd2e/jobs/tacobot-resource.json', 'resource'],
    ['sd2e/jobs/tacobot-finish.json', 'finish'],
    ['sd2e/jobs/tacobot-fail.json', 'fail'],
    ['sd2e/manager/2-local-event-tacobot-run.json', 'run'],
    ['sd2e/manager/3-local-event-tacobot-fail.json', 'fail'],
    ['sd2e/manager/3-local-event-tacobot-finish.json', 'finish'],
  ])('turns %s into %s', (fixture, name) => {
    const body = loadFixture(fixture) as { uuid: string; data: unknown };
    expect(event(body)).toMatchObject({ form: 'json', event: name, jobUuid: body.uuid, data: body.data });
  });

  it('accepts the wrong-uuid fixture: it is a well-formed job UUID, unknown only to the store', () => {
    expect(event(loadFixture('sd2e/jobs/tacobot-run-wrong-uuid.json')).jobUuid).toBe(
      '10797ce0-d130-a738-60d5-9e854adc67dd',
    );
  });

  it('lower-cases the event name', () => {
    expect(event({ uuid: MANAGER_JOB, name: 'FINISH' }).event).toBe('finish');
  });

  it('refuses a body and URL that name different jobs, events or tokens, naming both', () => {
    const body = { uuid: MANAGER_JOB, name: 'run', token: FIXTURE_TOKEN };
    for (const [query, path] of [
      [{ uuid: TACOBOT_JOB }, '/uuid'],
      [{ event: 'finish' }, '/name'],
      [{ token: 'ffffffffffffffff' }, '/token'],
    ] as const) {
      const result = parseInbound({ body, query, headers: {} });
      expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Body and URL disagree' });
      expect(result.kind === 'refusal' && result.errors?.map((e) => e.path)).toEqual([
        path,
        `/url/${Object.keys(query)[0]}`,
      ]);
      expect(JSON.stringify(result)).not.toContain(FIXTURE_TOKEN);
    }
  });

  it('accepts a body and URL that agree, comparing UUIDs and event names in any letter case', () => {
    const body = { uuid: MANAGER_JOB.toUpperCase(), name: 'RUN', token: FIXTURE_TOKEN };
    const command = event(body, { uuid: MANAGER_JOB, event: 'run', token: FIXTURE_TOKEN });
    expect(command).toMatchObject({ jobUuid: MANAGER_JOB, event: 'run', token: FIXTURE_TOKEN });
  });

  it('fills the token, uuid and name from the URL when the body leaves them out', () => {
    expect(event({ name: 'run' }, { uuid: MANAGER_JOB, token: 'Not-Hex-Format' })).toMatchObject({
      jobUuid: MANAGER_JOB,
      event: 'run',
      token: 'Not-Hex-Format',
    });
    expect(event({ uuid: MANAGER_JOB }, { event: 'finish' }).event).toBe('finish');
  });

  it('uses event_id as the idempotency key, the header as well, and refuses the two when they differ', () => {
    const body = { uuid: MANAGER_JOB, name: 'finish', event_id: 'agave-687-finished' };
    expect(event(body).idempotencyKey).toBe('agave-687-finished');
    expect(
      event({ uuid: MANAGER_JOB, name: 'finish' }, {}, { 'idempotency-key': 'header-key' }).idempotencyKey,
    ).toBe('header-key');
    expect(event(body, {}, { 'idempotency-key': 'agave-687-finished' }).idempotencyKey).toBe(
      'agave-687-finished',
    );
    const refused = parseInbound({ body, query: {}, headers: { 'idempotency-key': 'header-key' } });
    expect(refused).toMatchObject({ kind: 'refusal', status: 400, title: 'Body and header disagree' });
    expect(refused.kind === 'refusal' && refused.errors?.map((e) => e.path)).toEqual([
      '/event_id',
      '/headers/idempotency-key',
    ]);
  });

  it('refuses a URL status with a JSON event instead of ignoring it', () => {
    const refused = parseInbound({
      body: { uuid: MANAGER_JOB, name: 'run' },
      query: { status: 'FAILED' },
      headers: {},
    });
    expect(refused).toMatchObject({ kind: 'refusal', status: 400, title: 'Status with a JSON event' });
  });

  it('checks a body with a token as an event message even when the URL names the event, never storing it as data', () => {
    const body = { uuid: MANAGER_JOB, name: 'run', token: FIXTURE_TOKEN, note: 'started' };
    const refused = parseInbound({
      body,
      query: { uuid: MANAGER_JOB, event: 'run', token: FIXTURE_TOKEN },
      headers: {},
    });
    expect(refused).toMatchObject({ kind: 'refusal', status: 400, title: 'Invalid event' });
    expect(JSON.stringify(refused)).not.toContain(FIXTURE_TOKEN);
  });

  it('keeps the URL note as data.note, beside the body data, never dropping it', () => {
    expect(event({ uuid: MANAGER_JOB, name: 'update' }, { note: 'hello' }).data).toEqual({ note: 'hello' });
    expect(event({ uuid: MANAGER_JOB, name: 'update', data: { a: 1 } }, { note: 'hello' }).data).toEqual({
      a: 1,
      note: 'hello',
    });
    expect(event({ uuid: MANAGER_JOB, name: 'update' }).data).toBeUndefined();
  });

  it('refuses a URL note that differs from the note in the body data', () => {
    const result = parseInbound({
      body: { uuid: MANAGER_JOB, name: 'update', data: { note: 'from the body' } },
      query: { note: 'from the URL' },
      headers: {},
    });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Body and URL disagree' });
    expect(result.kind === 'refusal' && result.errors?.[0]?.path).toBe('/data/note');
  });

  it('refuses create with a pointer to POST /jobs', () => {
    const result = parse({ uuid: MANAGER_JOB, name: 'Create', token: FIXTURE_TOKEN });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Reserved event' });
    expect(result.kind === 'refusal' && result.detail).toContain('POST /jobs');
  });

  it('refuses an unknown event, listing every event a message may carry', () => {
    const result = parse({ uuid: MANAGER_JOB, name: 'finnish', token: FIXTURE_TOKEN });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Invalid event' });
    const listing = result.kind === 'refusal' ? result.errors?.find((e) => e.path === '/name')?.message : '';
    for (const name of EVENT_NAMES.filter((n) => n !== 'create')) expect(listing).toContain(name);
    expect(listing).not.toMatch(/\bcreate\b/);
  });

  it('passes a token of any shape on to authorisation, which refuses it like a wrong one', () => {
    const result = parse({ uuid: MANAGER_JOB, name: 'run', token: 'SECRET-TOKEN-VALUE' });
    expect(result).toMatchObject({ kind: 'event', token: 'SECRET-TOKEN-VALUE' });
  });

  it('refuses a token that is not a string, without echoing it', () => {
    const result = parse({ uuid: MANAGER_JOB, name: 'run', token: 1234567890123456 });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Invalid event' });
    expect(result.kind === 'refusal' && result.errors).toContainEqual({
      path: '/token',
      message: '/token must be a string',
    });
    expect(JSON.stringify(result)).not.toContain('1234567890123456');
  });

  it('refuses a uuid that is not a job UUID', () => {
    const result = parse({ uuid: '10650844-1baa-55c5-a481-5e945b19c065', name: 'run' });
    expect(result.kind === 'refusal' && result.errors).toContainEqual({
      path: '/uuid',
      message: '/uuid must be a job UUID (107...)',
    });
  });

  it('takes a body with a name that is not an event message as data when the URL names the event', () => {
    const body = { name: 'sample-1', reading: 0.4 };
    expect(event(body, { uuid: MANAGER_JOB, event: 'update' })).toMatchObject({
      form: 'params',
      event: 'update',
      data: body,
    });
  });
});
