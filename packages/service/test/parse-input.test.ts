import {
  eventInput,
  jobUuidInput,
  PAGE_BYTES,
  PAGE_LIMITS,
  parseHistoryQuery,
  parseJobsQuery,
  parsePipelinesQuery,
  pipelineUuidInput,
  ServiceError,
} from '@pipelinejobs/service';
import { describe, expect, it } from 'vitest';

const JOB = '107b93f3-1eae-5e79-8a18-0a480f8aa3a5';
const PIPELINE = '10650844-1baa-55c5-a481-5e945b19c065';

function refusal(parse: () => unknown): ServiceError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe('invalid');
    return error as ServiceError;
  }
  throw new Error('expected a refusal');
}

describe('the apps’ own input, parsed once', () => {
  it('takes event names in any letter case and refuses create and unknown names', () => {
    expect(eventInput('RUN')).toBe('run');
    expect(eventInput(' Finish ', '/event')).toBe('finish');
    expect(refusal(() => eventInput(' run')).message).toContain('not a known event');
    expect(refusal(() => eventInput('CREATE')).message).toContain('only when a job is created');
    expect(refusal(() => eventInput('explode')).message).toContain('not a known event');
  });

  it('takes UUIDs in any letter case, lower case from there on, and refuses another type', () => {
    expect(jobUuidInput(JOB.toUpperCase())).toBe(JOB);
    expect(pipelineUuidInput(PIPELINE.toUpperCase())).toBe(PIPELINE);
    expect(refusal(() => jobUuidInput(PIPELINE)).message).toContain('107...');
    expect(refusal(() => pipelineUuidInput(`${PIPELINE}x`)).message).toContain('106...');
  });

  it('reads list queries with one definition of each bound', () => {
    expect(parseJobsQuery({})).toEqual({ limit: PAGE_LIMITS.jobs.default, maxBytes: PAGE_BYTES });
    expect(parseJobsQuery({ state: 'running', pipeline_uuid: PIPELINE.toUpperCase(), limit: '7' })).toEqual({
      state: 'RUNNING',
      pipelineUuid: PIPELINE,
      limit: 7,
      maxBytes: PAGE_BYTES,
    });
    expect(parseJobsQuery({ limit: PAGE_LIMITS.jobs.max }).limit).toBe(PAGE_LIMITS.jobs.max);
    expect(refusal(() => parseJobsQuery({ limit: String(PAGE_LIMITS.jobs.max + 1) })).message).toContain(
      `from 1 to ${PAGE_LIMITS.jobs.max}`,
    );
    expect(refusal(() => parseJobsQuery({ state: ['RUNNING', 'FAILED'] })).message).toContain('once');
    expect(refusal(() => parseJobsQuery({ cursor: 'garbage' })).message).toContain('cursor');
    expect(refusal(() => parseJobsQuery({ updated_since: 'yesterday' })).message).toContain('ISO 8601');
    expect(parseHistoryQuery({ after: '3' })).toEqual({
      after: 3,
      limit: PAGE_LIMITS.history.default,
      maxBytes: PAGE_BYTES,
    });
    expect(refusal(() => parseHistoryQuery({ limit: '0' })).message).toContain('from 1');
    expect(parsePipelinesQuery({ cursor: PIPELINE })).toEqual({
      limit: PAGE_LIMITS.pipelines.default,
      maxBytes: PAGE_BYTES,
      before: PIPELINE,
    });
  });
});
