import { loadFixture } from '@pipelinejobs/fixtures';
import { describe, expect, it } from 'vitest';
import {
  classifyPipelineComponent,
  jobIdentityString,
  jobUuid,
  pipelineIdentityString,
  pipelineUuid,
} from '../src/identity.js';
import { parseJsonExact } from '../src/json-exact.js';

// The original catalog's UUID, written out: this test is a vector independent of the fixtures'
// constants.
const TACOBOT_PIPELINE_UUID = '10650844-1baa-55c5-a481-5e945b19c065';
const TACOBOT_DATA = {
  param1: 'value1',
  param2: 1,
  param3: true,
  param4: [1, 2, 3],
  param5: ['a', 'b', 'c'],
};

describe('jobUuid', () => {
  it.each([
    {
      job: {
        pipeline_uuid: TACOBOT_PIPELINE_UUID,
        child_of: ['10483e8d-6602-532a-8941-176ce20dd05a'],
        data: TACOBOT_DATA,
      },
      uuid: '107b93f3-1eae-5e79-8a18-0a480f8aa3a5',
    },
    {
      job: { pipeline_uuid: '1064aaf1-459c-5e42-820d-b822aa4b3990', data: { param1: 'value1' } },
      uuid: '10766b61-49f0-524d-a17f-f4bd42bdfce7',
    },
    {
      job: {
        pipeline_uuid: '106c46ff-8186-5756-a934-071f4497b58d',
        child_of: ['102e95e6-67a8-5a06-9484-3131c6907890'],
        data: {},
      },
      uuid: '107a90b7-f083-5167-a63d-41a3bf278bf8',
    },
  ])('matches the reference vector $uuid', ({ job, uuid }) => {
    expect(jobUuid(job)).toBe(uuid);
  });

  it('matches the tacobot job fixture', () => {
    const job = loadFixture('sd2e/jobs/tacobot.json');
    expect(jobIdentityString(job)).toBe(
      `${TACOBOT_PIPELINE_UUID}:['10483e8d-6602-532a-8941-176ce20dd05a']:` +
        '{"param1":"value1","param2":1,"param3":true,"param4":[1,2,3],"param5":["a","b","c"]}',
    );
    expect(jobUuid(job)).toBe('107b93f3-1eae-5e79-8a18-0a480f8aa3a5');
  });

  it('ignores every field but pipeline_uuid, child_of and data', () => {
    const job = loadFixture('sd2e/jobs/tacobot.json');
    const changed: Record<string, unknown> = {
      ...job,
      archive_path: '/elsewhere',
      session: 'other-name',
      agent: 'x',
      uuid: 'y',
    };
    expect(jobUuid(changed)).toBe(jobUuid(job));
    expect(jobUuid({ ...job, data: { ...TACOBOT_DATA, param2: 2 } })).not.toBe(jobUuid(job));
  });

  it('treats a field set to undefined as absent', () => {
    const job = { pipeline_uuid: '1064aaf1-459c-5e42-820d-b822aa4b3990', data: { param1: 'value1' } };
    expect(jobUuid({ ...job, child_of: undefined })).toBe(jobUuid(job));
  });

  it('does not depend on the key order of data', () => {
    const reversed = Object.fromEntries(Object.entries(TACOBOT_DATA).reverse());
    const job = { pipeline_uuid: TACOBOT_PIPELINE_UUID, child_of: [], data: TACOBOT_DATA };
    expect(jobUuid({ ...job, data: reversed })).toBe(jobUuid(job));
  });

  it('tells 1 from 1.0 in data when given the exact parse', () => {
    const asInt = jobUuid({ pipeline_uuid: TACOBOT_PIPELINE_UUID, data: parseJsonExact('{"x": 1}') });
    const asFloat = jobUuid({ pipeline_uuid: TACOBOT_PIPELINE_UUID, data: parseJsonExact('{"x": 1.0}') });
    expect(asFloat).not.toBe(asInt);
  });

  it('matches Python for an empty child_of and non-ASCII float data', () => {
    const job = {
      pipeline_uuid: TACOBOT_PIPELINE_UUID,
      child_of: [],
      data: parseJsonExact('{"x": 1.0, "ü": "😀"}'),
    };
    expect(jobIdentityString(job)).toBe(`${TACOBOT_PIPELINE_UUID}:[]:{"x":1.0,"\\u00fc":"\\ud83d\\ude00"}`);
    expect(jobUuid(job)).toBe('10739ac1-4913-576b-82d9-daf8b09cef01');
  });

  it('renders non-dict data with str(), so null data is None', () => {
    const job = {
      pipeline_uuid: TACOBOT_PIPELINE_UUID,
      child_of: ['102e95e6-67a8-5a06-9484-3131c6907890', '1035f2a6-17d8-5f9b-9d8c-6d1d63d4dd3b'],
      data: null,
    };
    expect(jobIdentityString(job)).toBe(
      `${TACOBOT_PIPELINE_UUID}:None:['102e95e6-67a8-5a06-9484-3131c6907890', '1035f2a6-17d8-5f9b-9d8c-6d1d63d4dd3b']`,
    );
    expect(jobUuid(job)).toBe('107af5e6-e9db-5b4e-b7c9-46cbaf851f68');
  });
});

describe('pipelineUuid', () => {
  it('matches the tacobot pipeline fixture', () => {
    const pipeline = loadFixture('sd2e/pipelines/tacobot.json');
    expect(pipelineIdentityString(pipeline)).toBe(
      'tacc/tacobot:9000:[{"id":"eqMyqq4xB1Lqa","image":"index.docker.io/tacc/tacbobot:latest","options":{}},' +
        '{"id":"bbq-brisket-0.5.0","inputs":{},"parameters":{"smoke":true}}]',
    );
    expect(pipelineUuid(pipeline)).toBe(TACOBOT_PIPELINE_UUID);
  });

  it('ignores name, description, file types and processing levels', () => {
    const pipeline = loadFixture('sd2e/pipelines/tacobot.json');
    const renamed: Record<string, unknown> = {
      ...pipeline,
      name: 'x',
      description: 'y',
      accepts: ['CSV'],
      produces: [],
      processing_levels: [],
    };
    expect(pipelineUuid(renamed)).toBe(TACOBOT_PIPELINE_UUID);
  });

  it('depends on the id and on the order of components', () => {
    const pipeline = loadFixture('sd2e/pipelines/tacobot.json');
    const components = pipeline.components as unknown[];
    expect(pipelineUuid({ ...pipeline, id: 'tacc/tacobot:9001' })).not.toBe(TACOBOT_PIPELINE_UUID);
    expect(pipelineUuid({ ...pipeline, components: [...components].reverse() })).not.toBe(
      TACOBOT_PIPELINE_UUID,
    );
  });

  it('classifies, filters and drops components like the original serializer', () => {
    const pipeline = {
      id: 'demo/all-kinds:1',
      name: 'x',
      components: [
        {
          id: 'app-1.0',
          inputs: { a: 1 },
          parameters: parseJsonExact('{"p": 1.0}'),
          modules: ['m'],
          outputs: {},
          label: 'dropped',
        },
        { id: 'actor', image: 'img:1', options: { o: true }, repo: 'dropped' },
        { appId: 'app-1.0', id: '123-007', status: 'dropped' },
        { image: 'nginx', hostname: 'h.example', hash: 'abc', port: 80, servername: 's' },
        { uri: 'https://example.org/é', identifier: 'svc', options: {} },
        { name: 'matches nothing' },
        { id: 'both', image: 'i', inputs: {}, parameters: {} },
      ],
    };
    expect(pipelineIdentityString(pipeline)).toBe(
      'demo/all-kinds:1:[{"id":"app-1.0","inputs":{"a":1},"modules":["m"],"outputs":{},"parameters":{"p":1.0}},' +
        '{"id":"actor","image":"img:1","options":{"o":true}},{"appId":"app-1.0","id":"123-007"},' +
        '{"hash":"abc","hostname":"h.example","image":"nginx"},' +
        '{"identifier":"svc","options":{},"uri":"https://example.org/\\u00e9"},{"id":"both","inputs":{},"parameters":{}}]',
    );
    expect(pipelineUuid(pipeline)).toBe('106dcbbe-ed09-5e65-bce0-b71e0ee0943a');
  });

  it("falls back to 'pipeline.id' when the pipeline has no id", () => {
    const pipeline = { components: [{ uri: 'u' }] };
    expect(pipelineIdentityString(pipeline)).toBe('pipeline.id:[{"uri":"u"}]');
    expect(pipelineUuid(pipeline)).toBe('10623c22-b003-5c1f-86f9-401c7b2e2939');
  });

  it('refuses an id that is not a string and components that are not a list, as Python fails on them', () => {
    expect(() => pipelineUuid({ id: 5, components: [] })).toThrow(TypeError);
    expect(() => pipelineUuid({ id: 'x', components: {} })).toThrow(TypeError);
  });
});

describe('classifyPipelineComponent', () => {
  it.each([
    [{ id: 'a', inputs: {}, parameters: {} }, 'agave_app'],
    [{ id: 'a', image: 'i' }, 'abaco_actor'],
    [{ appId: 'a', id: 'j' }, 'agave_job'],
    [{ image: 'i', hostname: 'h' }, 'deployed_container'],
    [{ uri: 'u' }, 'web_service'],
    [{ id: 'a', image: 'i', inputs: {}, parameters: {} }, 'agave_app'],
    [{ id: 'a', image: 'i', appId: 'x' }, 'abaco_actor'],
    [{ id: 'a' }, undefined],
    [{ image: 'i', hostname: undefined }, undefined],
    ['a string', undefined],
    [null, undefined],
  ])('classifies %j as %s', (component, type) => {
    expect(classifyPipelineComponent(component)).toBe(type);
  });
});
