import { loadFixture } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import {
  issuesSummary,
  MAX_ISSUES,
  type SchemaName,
  SchemasError,
  validate,
  validateCreateJob,
  validateDeleteJob,
  validateEvent,
  validatePipeline,
  validateTapisJobNotification,
} from '../src/index.js';

const run = loadFixture('sd2e/jobs/tacobot-run.json') as Record<string, unknown>;
const messageEvents =
  'run, update, resource, fail, finish, index, indexed, validate, validated, finalize, reject, retire, reset, ready';

function issuesOf(name: SchemaName, value: unknown) {
  const result = validate(name, value);
  if (result.ok) throw new Error(`expected ${name} to refuse ${JSON.stringify(value)}`);
  return result.issues;
}

describe('issues a person can read', () => {
  it('names a missing property by its pointer', () => {
    const { uuid: _uuid, ...body } = run;
    expect(issuesOf('event', body)).toEqual([{ path: '/uuid', message: '/uuid is required' }]);
  });

  it('lists the event names a message may carry', () => {
    expect(issuesOf('event', { ...run, name: 'finnish' })).toEqual([
      { path: '/name', message: `/name must be one of: ${messageEvents}` },
    ]);
  });

  it('says create is written only by POST /jobs', () => {
    expect(issuesOf('event', { ...run, name: 'Create' })).toEqual([
      {
        path: '/name',
        message: `/name must not be 'create', which only POST /jobs writes; must be one of: ${messageEvents}`,
      },
    ]);
  });

  it('explains a job UUID instead of showing a regular expression', () => {
    for (const uuid of [
      '10650844-1baa-55c5-a481-5e945b19c065',
      '107b93f3-1eae-5e79-8a18-0a480f8aa3a5x',
      'job-1',
    ]) {
      expect(issuesOf('event', { ...run, uuid })).toEqual([
        { path: '/uuid', message: '/uuid must be a job UUID (107...)' },
      ]);
    }
  });

  it('accepts an upper-case job UUID', () => {
    expect(validateEvent({ ...run, uuid: '107B93F3-1EAE-5E79-8A18-0A480F8AA3A5' }).ok).toBe(true);
  });

  it('leaves the shape of a token to authorisation (a malformed one is refused like a wrong one)', () => {
    for (const token of ['0dc73dc3ff39b49a0', '0DC73DC3FF39B49A', '0dc73dc3', 'null']) {
      expect(validateEvent({ ...run, token }).ok).toBe(true);
    }
    expect(validateEvent({ ...run, token: '' })).toEqual({
      ok: false,
      issues: [{ path: '/token', message: '/token must not be empty' }],
    });
  });

  it('names the expected type', () => {
    expect(issuesOf('event', { ...run, data: ['a'] })).toEqual([
      { path: '/data', message: '/data must be an object' },
    ]);
    expect(issuesOf('event', { ...run, name: 7 })).toEqual([
      { path: '/name', message: '/name must be a string' },
    ]);
    expect(issuesOf('event', [run])).toEqual([{ path: '', message: 'the document must be an object' }]);
    expect(issuesOf('history-event', { data: 3 })).toContainEqual({
      path: '/data',
      message: '/data must be an object or null',
    });
  });

  it('points at a property that is not allowed', () => {
    expect(issuesOf('event', { ...run, event: 'run' })).toEqual([
      { path: '/event', message: '/event is not allowed here (additional property)' },
    ]);
  });

  it('escapes property names in pointers (RFC 6901)', () => {
    expect(issuesOf('event', { ...run, 'a/b~c': 1 })).toEqual([
      { path: '/a~1b~0c', message: '/a~1b~0c is not allowed here (additional property)' },
    ]);
  });

  it('reports every problem of a document at once, one per value', () => {
    expect(issuesOf('event', { name: 'finnish', token: 7, data: 1, extra: true, event_id: '' })).toEqual([
      { path: '/uuid', message: '/uuid is required' },
      { path: '/extra', message: '/extra is not allowed here (additional property)' },
      { path: '/name', message: `/name must be one of: ${messageEvents}` },
      { path: '/token', message: '/token must be a string' },
      { path: '/data', message: '/data must be an object' },
      { path: '/event_id', message: '/event_id must not be empty' },
    ]);
  });

  it('refuses a delete with another action or a non-boolean force', () => {
    const body = loadFixture('sd2e/jobs/tacobot-force-delete.json') as Record<string, unknown>;
    expect(validateDeleteJob({ ...body, action: 'remove', force: 'yes' })).toEqual({
      ok: false,
      issues: [
        { path: '/action', message: '/action must be "delete"' },
        { path: '/force', message: '/force must be a boolean' },
      ],
    });
  });

  it('names the component shapes a pipeline accepts, once per component', () => {
    const pipeline = loadFixture('sd2e/pipelines/tacobot.json') as Record<string, unknown>;
    expect(
      validatePipeline({ ...pipeline, components: [{ id: 'x', imgae: 'y' }], processing_levels: [] }),
    ).toEqual({
      ok: false,
      issues: [
        {
          path: '/components/0',
          message:
            '/components/0 must be one of: an Agave app {id, inputs, parameters}; an Abaco actor {id, image}; a web service {uri}; a deployed container {image, hostname}',
        },
        { path: '/processing_levels', message: '/processing_levels must have at least 1 item' },
      ],
    });
    expect(issuesOf('pipeline', { ...pipeline, components: [] })).toEqual([
      { path: '/components', message: '/components must have at least 1 item' },
    ]);
  });

  it('explains nested typed UUIDs and enums of a create document', () => {
    const create = loadFixture('sd2e/jobs/tacobot.json') as Record<string, unknown>;
    expect(
      validateCreateJob({
        ...create,
        pipeline_uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5',
        child_of: ['10483e8d-6602-532a-8941-176ce20dd05a', 'sample.uw_biofab.1'],
        archive_path: 'relative/path',
        archive_patterns: [{ level: '4', patterns: ['a.png'] }],
        uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5',
      }),
    ).toEqual({
      ok: false,
      issues: [
        { path: '/uuid', message: '/uuid is not allowed here (additional property)' },
        { path: '/pipeline_uuid', message: '/pipeline_uuid must be a pipeline UUID (106...)' },
        { path: '/child_of/1', message: '/child_of/1 must be a typed UUID (100... to 125...)' },
        { path: '/archive_path', message: '/archive_path must be an absolute path (starting with /)' },
        {
          path: '/archive_patterns/0/level',
          message: '/archive_patterns/0/level must be one of: 0, 1, 2, 3, Reference, User, Unknown',
        },
      ],
    });
  });

  it('requires the data of a create document', () => {
    expect(issuesOf('create-job', { pipeline_uuid: '10650844-1baa-55c5-a481-5e945b19c065' })).toEqual([
      { path: '/data', message: '/data is required' },
    ]);
  });

  it('explains timestamps and ranges of the documents the API returns', () => {
    const event = {
      uuid: '10853f0b-2e6a-5c71-b9d8-4a7e13c6f0d2',
      seq: 0,
      name: 'run',
      from: 'CREATED',
      to: 'RUNNING',
      data: null,
      source: 'json',
      principal: { kind: 'api_key', id: '3f1c2a9e-7b64-4d0e-9a51-8c2d7e6f4b10' },
      date: '2026-11-20T15:02:41Z',
    };
    expect(issuesOf('history-event', event)).toEqual([
      { path: '/seq', message: '/seq must be >= 1' },
      {
        path: '/date',
        message: '/date must be a UTC timestamp with milliseconds, e.g. 2026-11-20T15:02:41.297Z',
      },
    ]);
    expect(issuesOf('history-event', { ...event, seq: 1, date: '2026-13-20T15:02:41.297Z' })).toEqual([
      { path: '/date', message: '/date must be a date-time (RFC 3339, e.g. 2026-11-20T15:02:41.297Z)' },
    ]);
  });

  it('refuses a Tapis body that is not a job event', () => {
    const notification = loadFixture('tapis/notification-running.json') as { event: Record<string, unknown> };
    const body = { ...notification, event: { ...notification.event, type: 'apps.APP_UPDATE', data: {} } };
    expect(validateTapisJobNotification(body)).toEqual({
      ok: false,
      issues: [
        {
          path: '/event/type',
          message: '/event/type must be a Tapis job event type: jobs.<category>.<detail>',
        },
        { path: '/event/data', message: '/event/data must be a string or null' },
      ],
    });
  });

  it('caps a flood of issues and says how many were left out', () => {
    const flood = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`extra${i}`, i]));
    const issues = issuesOf('event', { ...run, ...flood });
    expect(issues).toHaveLength(MAX_ISSUES + 1);
    expect(issues.at(-1)).toEqual({ path: '', message: 'and 30 more issues' });
  });

  it('joins issues into one line for a detail or a log', () => {
    expect(issuesSummary(issuesOf('event', {}))).toBe('/uuid is required; /name is required');
  });

  it('returns the value untouched: no defaults added, letter case kept', () => {
    const body = { ...run, name: 'RUN' };
    const result = validateEvent(body);
    expect(result).toEqual({ ok: true, value: { ...run, name: 'RUN' } });
    expect(result.ok && result.value).toBe(body);
  });

  it('throws for a schema name no TypeScript caller could write', () => {
    expect(() => validate('nope' as SchemaName, {})).toThrow(SchemasError);
  });
});
