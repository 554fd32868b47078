import { loadFixture } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import { matches, type SchemaName, validate } from '../src/index.js';

// The fixtures (the original SD2E test data and the Tapis notifications) and the schema of each.
const EXPECTED: Record<string, SchemaName> = {
  'sd2e/jobs/tacobot-run.json': 'event',
  'sd2e/jobs/tacobot-update.json': 'event',
  'sd2e/jobs/tacobot-resource.json': 'event',
  'sd2e/jobs/tacobot-fail.json': 'event',
  'sd2e/jobs/tacobot-finish.json': 'event',
  // 10797ce0-... is a well-formed job UUID (107 + 5 hex digits); it is "wrong" only because no such
  // job exists, which the Manager answers with 404, not the schema.
  'sd2e/jobs/tacobot-run-wrong-uuid.json': 'event',
  'sd2e/manager/2-local-event-tacobot-run.json': 'event',
  'sd2e/manager/3-local-event-tacobot-fail.json': 'event',
  'sd2e/manager/3-local-event-tacobot-finish.json': 'event',
  'sd2e/jobs/tacobot-agave-run.json': 'agave-job-callback',
  'sd2e/manager/2-local-event-tacobot-agave-running.json': 'agave-job-callback',
  'sd2e/manager/2-local-event-tacobot-agave-finished.json': 'agave-job-callback',
  'tapis/notification-running.json': 'tapis-job-notification',
  'tapis/notification-finished.json': 'tapis-job-notification',
  'sd2e/jobs/tacobot-delete.json': 'delete-job',
  'sd2e/jobs/tacobot-force-delete.json': 'delete-job',
  'sd2e/manager/4-local-event-tacobot-delete.json': 'delete-job',
  'sd2e/jobs/tacobot.json': 'create-job',
  'sd2e/manager/1-local-create-tacobot.json': 'create-job',
  'sd2e/pipelines/tacobot.json': 'pipeline',
  'sd2e/pipelines/rnaseq.json': 'pipeline',
};

/** The bodies /messages receives: a fixture must be recognisable as exactly one of them. */
const INBOUND: SchemaName[] = ['event', 'agave-job-callback', 'tapis-job-notification', 'delete-job'];

describe('the fixtures', () => {
  it.each(Object.entries(EXPECTED))('%s is a valid %s document', (path, name) => {
    const result = validate(name, loadFixture(path));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it.each(Object.entries(EXPECTED).filter(([, name]) => INBOUND.includes(name)))(
    '%s matches no other inbound form than %s',
    (path, name) => {
      const body = loadFixture(path);
      expect(INBOUND.filter((candidate) => matches(candidate, body))).toEqual([name]);
    },
  );

  it('the empty body of URL-only events is none of the inbound forms', () => {
    const body = loadFixture('sd2e/manager/2-local-event-empty.json');
    expect(INBOUND.filter((candidate) => matches(candidate, body))).toEqual([]);
    expect(validate('event', body)).toEqual({
      ok: false,
      issues: [
        { path: '/uuid', message: '/uuid is required' },
        { path: '/name', message: '/name is required' },
      ],
    });
  });

  it('a create document is not a pipeline and a pipeline is not a create document', () => {
    expect(matches('pipeline', loadFixture('sd2e/jobs/tacobot.json'))).toBe(false);
    expect(matches('create-job', loadFixture('sd2e/pipelines/tacobot.json'))).toBe(false);
  });
});
