import { jobUuid, type MessageEventName } from '@pipelinejobs/core';
import { describe, expect, it } from 'vitest';
import {
  type AdminTokenConfig,
  adminToken,
  authorizeAdminAction,
  authorizeEvent,
  jobToken,
  type Principal,
} from '../src/index.js';
import { leakCheck } from './support/leak-check.js';

const SECRET = 'authorize-test-secret-ab12';
const admin: AdminTokenConfig = { secret: SECRET, adminKey: 'authorize-test-admin-key' };
const NOW = new Date('2025-03-01T12:30:00.000Z');
const JOB = jobUuid({ data: { test: 'authorize' } });
const OTHER_JOB = '107aaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee';
const TOKEN = jobToken(SECRET, JOB, 0);
const ADMIN = adminToken({ ...admin, now: NOW });
const leaks = leakCheck();
leaks.secret(SECRET, admin.adminKey, TOKEN, ADMIN);

const reporter: Principal = { kind: 'api_key', role: 'reporter', scope: { jobUuid: null }, id: 'key-1' };
const reader: Principal = { ...reporter, role: 'reader' };

function event(name: MessageEventName, token: unknown, principal: Principal = reporter, tokenVersion = 0) {
  return leaks.record(
    authorizeEvent({
      principal,
      event: name,
      jobUuid: JOB,
      tokenVersion,
      token,
      secret: SECRET,
      admin,
      now: NOW,
    }),
  );
}

function adminAction(action: 'delete' | 'rotate_token', token: unknown, principal: Principal = reporter) {
  return leaks.record(authorizeAdminAction({ principal, action, jobUuid: JOB, token, admin, now: NOW }));
}

describe('authorizeEvent', () => {
  it("accepts an event with the job's token", () => {
    expect(event('run', TOKEN)).toEqual({ ok: true, via: 'job_token' });
  });

  it('accepts an event with an admin token in place of the job token', () => {
    expect(event('finish', ADMIN)).toEqual({ ok: true, via: 'admin_token' });
  });

  it('refuses an event without a token and says how to pass one', () => {
    for (const token of [undefined, null, '']) {
      const result = event('run', token);
      expect(result).toMatchObject({ ok: false, refusal: 'forbidden' });
      expect(result.ok ? '' : result.message).toMatch(/^a job token is required: pass `token`/);
    }
  });

  it('refuses a wrong token of the right length and of a wrong length the same way', () => {
    const rightLength = event('run', 'ffffffffffffffff');
    const tooShort = event('run', 'abc');
    const tooLong = event('run', `${TOKEN}00`);
    const notString = event('run', 12345);
    expect(rightLength).toMatchObject({ ok: false, refusal: 'forbidden' });
    expect(tooShort).toEqual(rightLength);
    expect(tooLong).toEqual(rightLength);
    expect(notString).toEqual(rightLength);
  });

  it('refuses a job token tampered by one character', () => {
    const tampered = TOKEN.slice(0, 15) + (TOKEN[15] === '0' ? '1' : '0');
    expect(event('run', tampered)).toMatchObject({ ok: false, refusal: 'forbidden' });
  });

  it("refuses another job's token", () => {
    expect(event('run', jobToken(SECRET, OTHER_JOB, 0)).ok).toBe(false);
  });

  it('refuses the old token after the job token is rotated and accepts the new one', () => {
    expect(event('run', TOKEN, reporter, 1).ok).toBe(false);
    expect(event('run', jobToken(SECRET, JOB, 1), reporter, 1)).toEqual({ ok: true, via: 'job_token' });
  });

  it('refuses reset and ready with the job token', () => {
    for (const name of ['reset', 'ready'] as const) {
      const result = event(name, TOKEN);
      expect(result).toMatchObject({ ok: false, refusal: 'forbidden' });
      expect(result.ok ? '' : result.message).toContain('needs an admin token');
    }
  });

  it('refuses reset without an admin token and says how to get one', () => {
    const result = event('reset', undefined);
    expect(result.ok ? '' : result.message).toContain('an admin token is required for `reset`');
    expect(result.ok ? '' : result.message).toContain('pipelinejobs admin-token');
  });

  it('accepts reset and ready with an admin token', () => {
    expect(event('reset', ADMIN)).toEqual({ ok: true, via: 'admin_token' });
    expect(event('ready', ADMIN)).toEqual({ ok: true, via: 'admin_token' });
  });

  it('refuses an admin token from two windows ago', () => {
    const stale = adminToken({ ...admin, now: new Date(NOW.getTime() - 2 * 3600_000) });
    leaks.secret(stale);
    expect(event('reset', stale).ok).toBe(false);
    expect(event('run', stale).ok).toBe(false);
  });

  it('refuses a reader even with a valid token', () => {
    const result = event('run', TOKEN, reader);
    expect(result).toMatchObject({ ok: false, refusal: 'forbidden' });
    expect(result.ok ? '' : result.message).toContain('role `reader` cannot send events');
  });

  it('still requires the job token from an admin-role principal', () => {
    const root: Principal = { ...reporter, role: 'admin' };
    expect(event('run', TOKEN, root).ok).toBe(true);
    expect(event('run', undefined, root).ok).toBe(false);
  });

  it('refuses a credential scoped to another job, and accepts one scoped to this job', () => {
    const nonce = (jobUuid: string): Principal => ({
      kind: 'nonce',
      role: 'reporter',
      scope: { jobUuid },
      id: 'n',
    });
    const result = event('run', TOKEN, nonce(OTHER_JOB));
    expect(result.ok ? '' : result.message).toContain('nonce is limited to another job');
    expect(event('run', TOKEN, nonce(JOB)).ok).toBe(true);
  });
});

describe('authorizeAdminAction', () => {
  it('accepts delete and rotate-token with an admin token', () => {
    expect(adminAction('delete', ADMIN)).toEqual({ ok: true, via: 'admin_token' });
    expect(adminAction('rotate_token', ADMIN)).toEqual({ ok: true, via: 'admin_token' });
  });

  it("refuses delete with the job's token", () => {
    const result = adminAction('delete', TOKEN);
    expect(result).toMatchObject({ ok: false, refusal: 'forbidden' });
    expect(result.ok ? '' : result.message).toContain('deleting a job needs an admin token');
  });

  it('refuses rotate-token without a token', () => {
    const result = adminAction('rotate_token', undefined);
    expect(result.ok ? '' : result.message).toContain(
      "an admin token is required for rotating a job's token",
    );
  });

  it('refuses a reader even with an admin token', () => {
    expect(adminAction('delete', ADMIN, reader)).toMatchObject({ ok: false, refusal: 'forbidden' });
  });
});

it('puts no secret, admin key or token in any refusal message', () => {
  leaks.expectClean(15);
});
