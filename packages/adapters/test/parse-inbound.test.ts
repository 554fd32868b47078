import { FIXTURE_TOKEN, MANAGER_JOB } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import {
  acceptedForms,
  INBOUND_FORMS,
  type InboundForm,
  type InboundRequest,
  parseInbound,
} from '../src/index.js';

function parse(request: Partial<InboundRequest>) {
  return parseInbound({ query: {}, body: undefined, headers: {}, ...request });
}

describe('parseInbound: which form is this request', () => {
  it('tries the forms in the documented order', () => {
    expect(INBOUND_FORMS.map((form) => form.name)).toEqual(['tapis', 'delete', 'agave', 'json', 'params']);
  });

  it('refuses an unrecognised body, explaining all five accepted forms', () => {
    const result = parse({ body: { hello: 'world' } });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Unrecognised request' });
    const detail = result.kind === 'refusal' ? result.detail : '';
    for (const words of [
      'JSON event',
      '?uuid=&event=&token=',
      'Agave job callback',
      'Tapis',
      'delete action',
    ]) {
      expect(detail).toContain(words);
    }
  });

  it('refuses an empty POST with the same explanation', () => {
    expect(parse({})).toMatchObject({ kind: 'refusal', title: 'Unrecognised request' });
  });

  it('says the event is missing when the URL names only a job', () => {
    const result = parse({ query: { uuid: MANAGER_JOB, token: FIXTURE_TOKEN }, body: { a: 1 } });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Missing event' });
    expect(result.kind === 'refusal' && result.detail).toContain('?event=');
  });

  it('says the job is missing when the URL names only an event', () => {
    const result = parse({ query: { event: 'run' }, body: { a: 1 } });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Missing job UUID' });
  });

  it('builds the explanation from the registered forms, so a new form explains itself', () => {
    const fifth: InboundForm = {
      name: 'aloe',
      summary: 'an Aloe job callback',
      recognises: () => false,
      parse: () => {
        throw new Error('not reached');
      },
    };
    expect(acceptedForms([...INBOUND_FORMS, fifth])).toMatch(/; or an Aloe job callback\.$/);
    const result = parseInbound({ query: {}, body: { x: 1 }, headers: {} }, [...INBOUND_FORMS, fifth]);
    expect(result.kind === 'refusal' && result.detail).toContain('an Aloe job callback');
  });
});

describe('parseInbound: common rules', () => {
  it('refuses a query parameter given twice, naming it but not its values', () => {
    const result = parse({
      query: { uuid: MANAGER_JOB, event: 'run', token: [FIXTURE_TOKEN, 'aaaaaaaaaaaaaaaa'] },
    });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Repeated URL parameter' });
    expect(result.kind === 'refusal' && result.detail).toContain('token');
    expect(JSON.stringify(result)).not.toContain(FIXTURE_TOKEN);
  });

  it('ignores parameters it does not read, even repeated', () => {
    const result = parse({ query: { uuid: MANAGER_JOB, event: 'run', session: ['a', 'b'] } });
    expect(result).toMatchObject({ kind: 'event', event: 'run' });
  });

  it('refuses event and name that disagree', () => {
    const result = parse({ query: { uuid: MANAGER_JOB, event: 'run', name: 'fail' } });
    expect(result).toMatchObject({ kind: 'refusal', title: 'Conflicting URL parameters' });
  });

  it('treats an empty parameter as not given', () => {
    expect(parse({ query: { uuid: MANAGER_JOB, event: 'run', note: '', token: '' } })).toEqual({
      kind: 'event',
      form: 'params',
      jobUuid: MANAGER_JOB,
      event: 'run',
    });
  });

  it('takes the Idempotency-Key header as the key of a URL-parameter event', () => {
    const result = parse({
      query: { uuid: MANAGER_JOB, event: 'run' },
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(result).toMatchObject({ kind: 'event', idempotencyKey: 'k-1' });
  });

  it('refuses an Idempotency-Key header that is empty, too long or repeated', () => {
    const query = { uuid: MANAGER_JOB, event: 'run' };
    for (const value of ['', 'k'.repeat(201), ['']]) {
      expect(parse({ query, headers: { 'idempotency-key': value } })).toMatchObject({
        kind: 'refusal',
        title: 'Invalid Idempotency-Key',
      });
    }
    expect(parse({ query, headers: { 'idempotency-key': ['a', 'b'] } })).toMatchObject({
      kind: 'refusal',
      title: 'Repeated Idempotency-Key',
    });
    expect(parse({ query, headers: { 'idempotency-key': ['k-1'] } })).toMatchObject({
      kind: 'event',
      idempotencyKey: 'k-1',
    });
    expect(parse({ query, headers: { 'idempotency-key': 'k'.repeat(200) } })).toMatchObject({
      kind: 'event',
    });
  });

  it('answers 415 for a body that is not JSON', () => {
    const result = parse({ query: { uuid: MANAGER_JOB, event: 'run' }, body: Buffer.from('{"a":1}') });
    expect(result).toMatchObject({ kind: 'refusal', status: 415, title: 'Unsupported body' });
  });

  it('refuses a body nested deeper than the JSON depth limit', () => {
    let body: unknown = {};
    for (let i = 0; i < 600; i++) body = { inner: body };
    const result = parse({ query: { uuid: MANAGER_JOB, event: 'run' }, body });
    expect(result).toMatchObject({ kind: 'refusal', status: 400, title: 'Body too deeply nested' });
  });
});
