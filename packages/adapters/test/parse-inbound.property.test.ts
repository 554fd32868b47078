import { MANAGER_JOB } from '@pipelinejobs/fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InboundRequest, parseInbound } from '../src/index.js';

const parameterValue = fc.oneof(
  fc.string(),
  fc.constantFrom(MANAGER_JOB, 'run', 'FINISHED', 'create', ''),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant(undefined),
);
const query = fc.dictionary(
  fc.oneof(fc.constantFrom('uuid', 'token', 'event', 'name', 'status', 'state', 'note'), fc.string()),
  parameterValue,
);
const headers = fc.dictionary(
  fc.oneof(fc.constant('idempotency-key'), fc.string()),
  fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 2 }), fc.constant(undefined)),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.anything(),
  fc.record(
    { uuid: fc.oneof(fc.constant(MANAGER_JOB), fc.anything()), name: fc.anything() },
    { requiredKeys: [] },
  ),
  fc.record({ appId: fc.anything(), status: fc.anything() }),
  fc.record(
    { action: fc.constant('delete'), uuid: fc.anything(), force: fc.anything() },
    { requiredKeys: ['action'] },
  ),
  fc.record({
    eventUuid: fc.anything(),
    deliveryTarget: fc.anything(),
    event: fc.record({
      type: fc.constant('jobs.JOB_NEW_STATUS.RUNNING'),
      data: fc.oneof(fc.string(), fc.anything()),
    }),
  }),
);

describe('parseInbound (property)', () => {
  it('never throws and always returns an event, a delete or a refusal', () => {
    fc.assert(
      fc.property(query, body, headers, (q, b, h) => {
        const result = parseInbound({ query: q, body: b, headers: h } as InboundRequest);
        expect(['event', 'delete', 'refusal']).toContain(result.kind);
        if (result.kind === 'refusal') {
          expect([400, 415]).toContain(result.status);
          expect(result.title.length).toBeGreaterThan(0);
          expect(result.detail.length).toBeGreaterThan(0);
        }
        if (result.kind === 'event') expect(result.event).not.toBe('create');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws for arbitrary values in place of the whole request', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (q, b, h) => {
        const result = parseInbound({ query: q, body: b, headers: h } as InboundRequest);
        expect(['event', 'delete', 'refusal']).toContain(result.kind);
      }),
      { numRuns: 1000 },
    );
  });
});
