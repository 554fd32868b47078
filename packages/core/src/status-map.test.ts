import { describe, expect, it } from 'vitest';
import { isEventName } from './fsm-table.js';
import { eventForStatus, STATUS_EVENTS, statusesOf } from './status-map.js';

describe('status map', () => {
  it.each([
    ['RUNNING', 'run'],
    ['FINISHED', 'finish'],
    ['FAILED', 'fail'],
    ['STOPPED', 'fail'],
    ['DELETED', 'fail'],
    ['ARCHIVING_FAILED', 'fail'],
    ['HEARTBEAT', 'update'],
    ['PENDING', 'resource'],
    ['STAGING_INPUTS', 'resource'],
    ['CLEANING_UP', 'resource'],
    ['ARCHIVING', 'resource'],
    ['STAGING_JOB', 'resource'],
    ['PAUSED', 'resource'],
    ['QUEUED', 'resource'],
    ['SUBMITTING', 'resource'],
    ['STAGED', 'resource'],
    ['PROCESSING_INPUTS', 'resource'],
    ['ARCHIVING_FINISHED', 'resource'],
    ['CREATED', 'resource'],
    ['PERMISSION_GRANT', 'resource'],
    ['PERMISSION_REVOKE', 'resource'],
  ])('maps Agave %s to %s as the original did', (status, event) => {
    expect(eventForStatus(status)).toBe(event);
  });

  it.each([
    ['UPDATED', 'update'],
    ['KILLED', 'fail'],
    ['CANCELLED', 'fail'],
    ['SUBMITTING_JOB', 'resource'],
    ['BLOCKED', 'resource'],
  ])('maps %s to %s (a deliberate fix over the original)', (status, event) => {
    expect(eventForStatus(status)).toBe(event);
  });

  it('upper-cases the status before lookup', () => {
    expect(eventForStatus('running')).toBe('run');
    expect(eventForStatus(' Finished ')).toBe('finish');
  });

  it('maps an unknown status to update', () => {
    expect(eventForStatus('SOMETHING_NEW')).toBe('update');
    expect(eventForStatus('')).toBe('update');
  });

  it('covers every Tapis v3 job status', () => {
    const tapis = [
      'PENDING',
      'PROCESSING_INPUTS',
      'STAGING_INPUTS',
      'STAGING_JOB',
      'SUBMITTING_JOB',
      'QUEUED',
      'RUNNING',
      'ARCHIVING',
      'BLOCKED',
      'PAUSED',
      'FINISHED',
      'CANCELLED',
      'FAILED',
    ];
    expect(statusesOf('tapis').sort()).toEqual(tapis.sort());
  });

  it('maps only to real event names and lists each status once', () => {
    for (const row of STATUS_EVENTS) expect(isEventName(row.event)).toBe(true);
    const statuses = STATUS_EVENTS.map((row) => row.status);
    expect(new Set(statuses).size).toBe(statuses.length);
  });
});
