import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixture, TACOBOT_JOB } from '@pipelinejobs/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/manager-process.js';
import { type Manager, startManager } from './harness.js';

// The picture of one job's state machine, as GET /jobs/:uuid/fsm.svg draws it, rendered to PNG
// with librsvg (Debian's librsvg2-bin) and kept in docs/ for the README. After changing how the
// picture is drawn: PIPELINEJOBS_UPDATE_DOCS=1 pnpm exec vitest run apps/http/test/fsm-picture.test.ts
const DOCS = join(REPO_ROOT, 'docs');
const SVG = join(DOCS, 'fsm-job.svg');
const PNG = join(DOCS, 'fsm-job.png');
const update = process.env.PIPELINEJOBS_UPDATE_DOCS === '1';

let m: Manager;
let svg: string;
const scratch = mkdtempSync(join(tmpdir(), 'pj-fsm-picture-'));

beforeAll(async () => {
  m = await startManager();
  await m.request('POST', '/pipelines', { body: loadFixture('sd2e/pipelines/tacobot.json') });
  const job = await m.request('POST', '/jobs', {
    key: m.keys.agent,
    body: loadFixture('sd2e/jobs/tacobot.json'),
  });
  const token = job.json.token as string;
  // Run, fail, reset by an admin, then all the way to FINALIZED.
  const admin = ['reset', 'ready'];
  for (const name of [
    'run',
    'fail',
    'reset',
    'ready',
    'run',
    'update',
    'finish',
    'validate',
    'validated',
    'finalize',
  ]) {
    const sent = await m.request('POST', '/messages', {
      body: { uuid: TACOBOT_JOB, name, token: admin.includes(name) ? m.adminToken() : token },
    });
    expect(sent.status, name).toBe(200);
  }
  svg = (await m.request('GET', `/jobs/${TACOBOT_JOB}/fsm.svg`, { key: m.keys.reader })).text;
});
afterAll(async () => {
  await m.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("a job's state machine picture", () => {
  it('has the uuid and state in its title, the path bold, failure and done states coloured, one reset edge', () => {
    expect(svg).toContain(`<title>PipelineJobFSM</title>`);
    expect(svg.replaceAll('&#45;', '-')).toContain(`>job:${TACOBOT_JOB} (FINALIZED)</text>`);
    // The path: ten distinct transitions (create's CREATED -> CREATED among them) and the reset.
    const bold = svg.match(/stroke="#1565c0" stroke-width="2\.5"/g) ?? [];
    expect(bold.length).toBeGreaterThanOrEqual(11);
    const node = (state: string) =>
      new RegExp(`<title>${state}</title>[^]*?<path fill="([^"]+)" stroke="([^"]+)"`).exec(svg);
    expect(node('FAILED')?.slice(1)).toEqual(['#ffcdd2', '#c62828']);
    expect(node('REJECTED')?.slice(1)).toEqual(['#ffcdd2', '#c62828']);
    expect(node('RETIRED')?.slice(1)).toEqual(['#c8e6c9', '#2e7d32']);
    expect(node('FINALIZED')?.[1], 'the current state').toBe('#ffd54f');
    expect(node('RUNNING')?.slice(1)).toEqual(['white', 'black']);
    expect(svg.match(/>reset<\/text>/g)).toHaveLength(1);
    expect(svg).toContain('>any state</text>');
  });

  it('renders to PNG with rsvg-convert, and docs/ holds this picture', () => {
    const found = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
    if (found.error) {
      throw new Error('rsvg-convert is missing: install it (Debian: apt-get install librsvg2-bin)');
    }
    const png = execFileSync('rsvg-convert', ['--zoom', '1.5', '--background-color', 'white'], {
      input: svg,
    });
    const size = pngSize(png);
    expect(size.width).toBeGreaterThan(1500);
    expect(size.height).toBeGreaterThan(400);
    if (update) {
      mkdirSync(DOCS, { recursive: true });
      writeFileSync(SVG, svg);
      writeFileSync(PNG, png);
    }
    writeFileSync(join(scratch, 'fsm-job.png'), png);
    expect(
      readFileSync(SVG, 'utf8'),
      'docs/fsm-job.svg is this picture (PIPELINEJOBS_UPDATE_DOCS=1 to update)',
    ).toBe(svg);
    expect(pngSize(readFileSync(PNG))).toEqual(size);
  });
});
