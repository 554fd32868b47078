import { FIXTURE_TOKEN, loadFixture, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { parseInbound } from '../src/index.js';
import { eventOf } from './event-of.js';

type Notification = Record<string, unknown> & { event: Record<string, unknown> };
const running = loadFixture('tapis/notification-running.json') as Notification;
const finished = loadFixture('tapis/notification-finished.json') as Notification;
const query = { uuid: TACOBOT_JOB, token: FIXTURE_TOKEN };

const event = (body: unknown, q: Record<string, string> = query, headers = {}) => eventOf(body, q, headers);

function withEvent(base: Notification, changes: Record<string, unknown>): Notification {
  return { ...base, event: { ...base.event, ...changes } };
}

describe('Tapis v3 job notification', () => {
  it('turns a RUNNING notification into run, keyed by eventUuid', () => {
    const command = event(running);
    expect(command).toMatchObject({
      kind: 'event',
      form: 'tapis',
      jobUuid: TACOBOT_JOB,
      event: 'run',
      token: FIXTURE_TOKEN,
      idempotencyKey: 'fe068db0-ac21-4585-9c64-e44b884ed13c',
    });
    expect(command.idempotencyKey).toBe(running.eventUuid);
    expect(command.idempotencyKey).not.toBe(running.uuid);
  });

  it('stores the status, the parsed event data and where the event came from', () => {
    expect(event(running).data).toEqual({
      status: 'RUNNING',
      newJobStatus: 'RUNNING',
      oldJobStatus: 'QUEUED',
      jobName: 'tacobot-fresh-yak',
      jobUuid: 'ece0b5cd-f1dc-49b2-9a3c-f5ac50386d4c-007',
      jobOwner: 'sd2eadm',
      message: 'The job has transitioned to a new status: RUNNING. The previous job status was QUEUED.',
      tapis: {
        subject: 'ece0b5cd-f1dc-49b2-9a3c-f5ac50386d4c-007',
        type: 'jobs.JOB_NEW_STATUS.RUNNING',
        seriesId: 'ece0b5cd-f1dc-49b2-9a3c-f5ac50386d4c-007',
        seriesSeqCount: 9,
        timestamp: '2026-11-20T15:02:41.208113574Z',
        tenant: 'tacc',
        eventUuid: 'fe068db0-ac21-4585-9c64-e44b884ed13c',
      },
    });
  });

  it('turns a FINISHED notification into finish with the terminal fields', () => {
    const command = event(finished);
    expect(command.event).toBe('finish');
    expect(command.idempotencyKey).toBe('553df421-013f-446f-b452-fa90c9644ab8');
    expect(command.data).toMatchObject({
      status: 'FINISHED',
      condition: 'NORMAL_COMPLETION',
      remoteResultInfo: '0',
    });
  });

  it('never keeps the delivery target, so the token from the delivery URL appears only as the token', () => {
    for (const body of [running, finished]) {
      const command = event(body);
      expect(command.data).not.toHaveProperty('deliveryTarget');
      expect(JSON.stringify({ ...command, token: undefined })).not.toContain(FIXTURE_TOKEN);
    }
  });

  it('refuses event data with a repeated key or a number it could not store as sent, naming the path', () => {
    for (const [data, path] of [
      ['{"newJobStatus":"RUNNING","newJobStatus":"FAILED"}', '/event/data/newJobStatus'],
      ['{"newJobStatus":"RUNNING","big":12345678901234567890}', '/event/data/big'],
    ] as const) {
      const result = parseInbound({ body: withEvent(running, { data }), query, headers: {} });
      expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Invalid Tapis notification' });
      expect(result.kind === 'refusal' && result.errors?.map((e) => e.path)).toEqual([path]);
    }
  });

  it('refuses a URL status, a data status or a data `tapis` key that disagree with the notification', () => {
    const refusedWith = (body: unknown, q: Record<string, string>) =>
      parseInbound({ body, query: q, headers: {} });
    expect(refusedWith(running, { ...query, status: 'FAILED' })).toMatchObject({
      kind: 'refusal',
      title: 'Body and URL disagree',
    });
    expect(event(running, { ...query, status: 'running' }).event).toBe('run');
    const data = JSON.parse(String(running.event.data)) as Record<string, unknown>;
    expect(
      refusedWith(withEvent(running, { data: JSON.stringify({ ...data, status: 'FAILED' }) }), query),
    ).toMatchObject({
      kind: 'refusal',
    });
    expect(
      refusedWith(withEvent(running, { data: JSON.stringify({ ...data, tapis: 1 }) }), query),
    ).toMatchObject({
      kind: 'refusal',
      errors: [{ path: '/event/data/tapis' }],
    });
  });

  it('maps CANCELLED to fail', () => {
    const data = JSON.stringify({ newJobStatus: 'CANCELLED', oldJobStatus: 'RUNNING' });
    expect(event(withEvent(running, { type: 'jobs.JOB_NEW_STATUS.CANCELLED', data })).event).toBe('fail');
  });

  it('falls back to the status in the event type when the data is null', () => {
    const command = event(withEvent(finished, { data: null }));
    expect(command.event).toBe('finish');
    expect(command.data?.status).toBe('FINISHED');
  });

  it('records an event of another category as an update, without guessing a status from it', () => {
    const data = JSON.stringify({ jobStatus: 'FAILED', message: 'boom' });
    const command = event(withEvent(running, { type: 'jobs.JOB_ERROR_MESSAGE.FAILED', data }));
    expect(command.event).toBe('update');
    expect(command.data).not.toHaveProperty('status');
    expect(command.data).toMatchObject({ jobStatus: 'FAILED', message: 'boom' });
  });

  it('lets a URL event win over the mapped status', () => {
    expect(event(running, { ...query, event: 'resource' }).event).toBe('resource');
  });

  it('lets the Idempotency-Key header win over eventUuid', () => {
    expect(event(running, query, { 'idempotency-key': 'mine' }).idempotencyKey).toBe('mine');
  });

  it('redacts token and x-nonce values in any string it keeps', () => {
    const data = JSON.stringify({
      newJobStatus: 'RUNNING',
      message: `see https://h/messages?uuid=${TACOBOT_JOB}&token=${FIXTURE_TOKEN}&x-nonce=SD2E_abc`,
    });
    const command = event(withEvent(running, { data }));
    const text = JSON.stringify(command.data);
    expect(text).not.toContain(FIXTURE_TOKEN);
    expect(text).not.toContain('SD2E_abc');
    expect(text).toContain('token=[REDACTED]');
  });

  it('refuses event data that is not JSON, and says so', () => {
    const result = parseInbound({ body: withEvent(running, { data: 'not json {' }), query, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Invalid Tapis notification' });
    expect(result.kind === 'refusal' && result.detail).toMatch(/not JSON/);
    expect(result.kind === 'refusal' && result.errors?.[0]?.path).toBe('/event/data');
  });

  it('refuses a notification whose delivery URL names no job', () => {
    const result = parseInbound({ body: running, query: { token: FIXTURE_TOKEN }, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Missing job UUID' });
  });

  it('refuses a notification missing required fields without echoing the delivery address', () => {
    const { created, ...body } = running;
    const result = parseInbound({ body, query, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Invalid Tapis notification' });
    expect(result.kind === 'refusal' && result.errors).toContainEqual({
      path: '/created',
      message: '/created is required',
    });
    expect(JSON.stringify(result)).not.toContain(FIXTURE_TOKEN);
  });
});

describe('Tapis notification of another service', () => {
  it('is refused as a Tapis notification whose type is not a job event, not read as a JSON event', () => {
    const body = withEvent(running, { type: 'systems.SYSTEM_UPDATE.x', source: 'https://tapis.io/systems' });
    const result = parseInbound({ body, query, headers: {} });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Invalid Tapis notification' });
    expect(result.kind === 'refusal' && result.errors).toContainEqual({
      path: '/event/type',
      message: '/event/type must be a Tapis job event type: jobs.<category>.<detail>',
    });
  });
});
