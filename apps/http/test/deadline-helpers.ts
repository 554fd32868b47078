import { loadFixture } from '@pipelinejobs/fixtures';
import { expect } from 'vitest';
import type { Manager } from './harness.js';

/** What the deadline tests create through a Manager's API: pipelines with budgets, jobs, events. */

const tacobot = loadFixture<Record<string, unknown>>('sd2e/pipelines/tacobot.json');

/** Registers a pipeline of its own (a new id) with these budgets; its uuid. */
export async function registerPipeline(m: Manager, id: string, deadlines?: unknown): Promise<string> {
  const res = await m.request('POST', '/pipelines', {
    key: m.keys.agent,
    body: { ...tacobot, id, ...(deadlines === undefined ? {} : { deadlines }) },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.uuid as string;
}

let made = 0;
/** Creates a new job of the pipeline (its own data), with these budget overrides. */
export async function createJob(m: Manager, pipelineUuid: string, deadlines?: unknown) {
  made += 1;
  const res = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: { pipeline_uuid: pipelineUuid, data: { deadline_test: made }, ...(deadlines ? { deadlines } : {}) },
  });
  expect(res.status, res.text).toBe(201);
  return res.json as { uuid: string; token: string; deadline: unknown; deadlines: unknown };
}

/** Sends the event with the job's token; it must be applied. */
export async function sendEvent(m: Manager, j: { uuid: string; token: string }, name: string) {
  const res = await m.request('POST', '/messages', {
    key: m.keys.reporter,
    body: { uuid: j.uuid, name, token: j.token },
  });
  expect(res.status, res.text).toBe(200);
}
