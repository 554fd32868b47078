import { brotliCompressSync, gzipSync } from 'node:zlib';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { validateProblem } from '@pipelinejobs/schemas';
import { databaseOf } from '@pipelinejobs/service/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manager, startManager } from './harness.js';

/**
 * A body means what it says or is refused: numbers are stored as sent or refused naming their JSON
 * pointer, duplicate keys are refused naming the key, bytes must be UTF-8 and a declared charset
 * UTF-8 or US-ASCII. Every refusal is a problem document and writes nothing.
 */
let m: Manager;
const tokens: string[] = [];

beforeAll(async () => {
  m = await startManager();
  const res = await m.request('POST', '/pipelines', {
    key: m.keys.agent,
    body: loadFixture('sd2e/pipelines/tacobot.json'),
  });
  expect([200, 201]).toContain(res.status);
});
afterAll(async () => {
  await m.stop();
});

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

/** A request with the body as exact bytes or text, over the socket. */
async function send(
  path: string,
  body: string | Uint8Array,
  options: { key?: string; contentType?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.key ?? m.keys.admin}`,
    ...options.headers,
  };
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${m.base}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  const json = JSON.parse(text) as Record<string, unknown>;
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(validateProblem(json).ok).toBe(true);
  }
  return { status: res.status, text, json };
}

let serial = 0;
async function createJob(): Promise<{ uuid: string; token: string }> {
  const res = await send(
    '/jobs',
    JSON.stringify({ pipeline_uuid: TACOBOT_PIPELINE, data: { suite: 'input', n: serial++ } }),
    { key: m.keys.agent },
  );
  expect(res.status).toBe(201);
  tokens.push(res.json.token as string);
  return res.json as unknown as { uuid: string; token: string };
}

/** The job's history length and version: what a refused request must leave as it was. */
async function footprint(uuid: string): Promise<{ history: number; version: number }> {
  const history = await m.request('GET', `/jobs/${uuid}/history`);
  const job = await m.request('GET', `/jobs/${uuid}`);
  return { history: (history.json.items as unknown[]).length, version: job.json.version as number };
}

async function jobCount(): Promise<number> {
  const [row] = await databaseOf(m.services).sql<{ n: number }[]>`select count(*)::int as n from jobs`;
  return row?.n ?? 0;
}

const paths = (res: Answer) => (res.json.errors as { path: string }[] | undefined)?.map((e) => e.path);

/** The numbers of issue 13: infinite, an integer a double cannot hold, and one that would become 0. */
const BAD_NUMBERS = '{"inf":1e400,"big":12345678901234567890,"tiny":1e-400}';

describe('numbers', () => {
  it('refuses POST /jobs with numbers a double cannot hold, naming every path, and creates nothing', async () => {
    const before = await jobCount();
    const res = await send('/jobs', `{"pipeline_uuid":"${TACOBOT_PIPELINE}","data":${BAD_NUMBERS}}`, {
      key: m.keys.agent,
    });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/data/inf', '/data/big', '/data/tiny']);
    expect(res.json.detail).toContain('/data/inf');
    expect(res.text).not.toMatch(/1e400|12345678901234567890|1e-400/);
    expect(await jobCount()).toBe(before);
  });

  it('refuses a JSON event with such numbers in its data and writes nothing', async () => {
    const j = await createJob();
    const before = await footprint(j.uuid);
    const res = await send(
      '/messages',
      `{"uuid":"${j.uuid}","name":"update","token":"${j.token}","data":${BAD_NUMBERS}}`,
      { key: m.keys.reporter },
    );
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/data/inf', '/data/big', '/data/tiny']);
    expect(await footprint(j.uuid)).toEqual(before);
  });

  it('refuses a URL-parameter event whose body (its data) holds such numbers, naming the body paths', async () => {
    const j = await createJob();
    const before = await footprint(j.uuid);
    const res = await send(`/messages?uuid=${j.uuid}&event=update&token=${j.token}`, BAD_NUMBERS, {
      key: m.keys.reporter,
    });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/inf', '/big', '/tiny']);
    expect(await footprint(j.uuid)).toEqual(before);
  });

  it('refuses an Agave callback whose record holds such a number', async () => {
    const j = await createJob();
    const before = await footprint(j.uuid);
    const record = JSON.stringify(
      loadFixture('sd2e/manager/2-local-event-tacobot-agave-running.json'),
    ).replace('"nodeCount":1', '"nodeCount":12345678901234567890');
    expect(record).toContain('12345678901234567890');
    const res = await send(`/actors/v2/jobs-manager.prod/messages?uuid=${j.uuid}&token=${j.token}`, record, {
      key: m.keys.reporter,
    });
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/nodeCount']);
    expect(await footprint(j.uuid)).toEqual(before);
  });

  it('stores numbers a double holds exactly as sent, on create and on events', async () => {
    const data =
      '{"max":9007199254740991,"min":-9007199254740991,"e20":100000000000000000000,"huge":1e300,' +
      '"tiny":5e-324,"pi":3.141592653589793,"tenth":0.1,"zero":-0.0}';
    const expected = {
      max: 9007199254740991,
      min: -9007199254740991,
      e20: 1e20,
      huge: 1e300,
      tiny: 5e-324,
      pi: Math.PI,
      tenth: 0.1,
      zero: 0, // PostgreSQL numbers have no negative zero: -0.0 reads back as 0
    };
    const created = await send('/jobs', `{"pipeline_uuid":"${TACOBOT_PIPELINE}","data":${data}}`, {
      key: m.keys.agent,
    });
    expect(created.status).toBe(201);
    tokens.push(created.json.token as string);
    const uuid = created.json.uuid as string;
    expect(created.json.data).toEqual(expected);
    expect((await m.request('GET', `/jobs/${uuid}`)).json.data).toEqual(expected);
    const [row] = await databaseOf(m.services).sql<
      { data: string }[]
    >`select data::text from jobs where uuid = ${uuid}`;
    expect(row?.data).toContain('9007199254740991');
    expect(row?.data).toContain('100000000000000000000');

    const event = await send(
      '/messages',
      `{"uuid":"${uuid}","name":"update","token":"${created.json.token}","data":${data}}`,
      { key: m.keys.reporter },
    );
    expect(event.status).toBe(200);
    const history = await m.request('GET', `/jobs/${uuid}/history`);
    expect((history.json.items as { data: unknown }[]).at(-1)?.data).toEqual(expected);
  });
});

describe('duplicate keys', () => {
  it('refuses an event naming its event twice, naming the key, and writes nothing', async () => {
    const j = await createJob();
    const before = await footprint(j.uuid);
    const res = await send(
      '/messages',
      `{"uuid":"${j.uuid}","name":"update","name":"fail","token":"${j.token}"}`,
      { key: m.keys.reporter },
    );
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/name']);
    expect(res.json.detail).toContain('/name is given more than once');
    expect(await footprint(j.uuid)).toEqual(before);
  });

  it('refuses a repeated token without showing either value', async () => {
    const j = await createJob();
    const res = await send(
      '/messages',
      `{"uuid":"${j.uuid}","name":"run","token":"0000000000000000","token":"${j.token}"}`,
      { key: m.keys.reporter },
    );
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/token']);
    expect(res.text).not.toContain(j.token);
    expect(res.text).not.toContain('0000000000000000');
  });

  it('refuses duplicate keys deep in job data, and creates nothing', async () => {
    const before = await jobCount();
    const res = await send(
      '/jobs',
      `{"pipeline_uuid":"${TACOBOT_PIPELINE}","data":{"runs":[{"id":1,"id":2}]}}`,
      { key: m.keys.agent },
    );
    expect(res.status).toBe(400);
    expect(paths(res)).toEqual(['/data/runs/0/id']);
    expect(await jobCount()).toBe(before);
  });
});

describe('encodings', () => {
  const latin1Event = (j: { uuid: string; token: string }) =>
    Buffer.concat([
      Buffer.from(`{"uuid":"${j.uuid}","name":"update","token":"${j.token}","data":{"note":"caf`),
      Buffer.from([0xe9]), // é in ISO-8859-1: not UTF-8
      Buffer.from('"}}'),
    ]);

  it('refuses bytes that are not UTF-8 with 400 naming the offset, and writes nothing', async () => {
    const j = await createJob();
    const before = await footprint(j.uuid);
    const body = latin1Event(j);
    const res = await send('/messages', body, { key: m.keys.reporter });
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain(`offset ${body.indexOf(0xe9)}`);
    expect(res.text).not.toContain(j.token);
    expect(await footprint(j.uuid)).toEqual(before);
  });

  it('refuses bytes that are not UTF-8 inside a gzip body too', async () => {
    const j = await createJob();
    const res = await send('/messages', gzipSync(latin1Event(j)), {
      key: m.keys.reporter,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain('not valid UTF-8');
  });

  it.each(['iso-8859-1', 'foo', 'UTF-16', '"latin1"', ''])(
    'refuses a body declared charset=%s with 415 naming what is accepted',
    async (charset) => {
      const j = await createJob();
      const before = await footprint(j.uuid);
      const res = await send('/messages', JSON.stringify({ uuid: j.uuid, name: 'update', token: j.token }), {
        key: m.keys.reporter,
        contentType: `application/json; charset=${charset}`,
      });
      expect(res.status).toBe(415);
      expect(res.json.detail).toContain('utf-8, utf8, us-ascii');
      expect(await footprint(j.uuid)).toEqual(before);
    },
  );

  it.each([
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json; CHARSET=utf8',
    'application/json; charset=us-ascii',
    'text/plain; charset=UTF-8',
  ])('accepts %s', async (contentType) => {
    const j = await createJob();
    const res = await send('/messages', JSON.stringify({ uuid: j.uuid, name: 'update', token: j.token }), {
      key: m.keys.reporter,
      contentType,
    });
    expect(res.status).toBe(200);
  });

  it('refuses non-ASCII bytes in a body declared us-ascii', async () => {
    const j = await createJob();
    const res = await send(
      '/messages',
      JSON.stringify({ uuid: j.uuid, name: 'update', token: j.token, data: { note: 'café' } }),
      { key: m.keys.reporter, contentType: 'application/json; charset=us-ascii' },
    );
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain('not ASCII');
  });

  it('stores UTF-8 text exactly, ignores a leading byte order mark, and reads gzip and br bodies', async () => {
    const j = await createJob();
    const note = 'café 中文 😀 \ufeff';
    const json = JSON.stringify({ uuid: j.uuid, name: 'update', token: j.token, data: { note } });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]);
    expect((await send('/messages', bom, { key: m.keys.reporter })).status).toBe(200);
    const gzip = await send('/messages', gzipSync(Buffer.from(json)), {
      key: m.keys.reporter,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(gzip.status).toBe(200);
    const br = await send('/messages', brotliCompressSync(Buffer.from(json)), {
      key: m.keys.reporter,
      headers: { 'content-encoding': 'br' },
    });
    expect(br.status).toBe(200);
    const history = await m.request('GET', `/jobs/${j.uuid}/history`);
    const notes = (history.json.items as { data: { note?: string } }[]).slice(1).map((e) => e.data.note);
    expect(notes).toEqual([note, note, note]);
  });
});

describe('other bodies', () => {
  it('refuses nesting deeper than the one JSON depth limit (512), naming where', async () => {
    const j = await createJob();
    const deep = `${'['.repeat(600)}${']'.repeat(600)}`;
    const res = await send(`/messages?uuid=${j.uuid}&event=update&token=${j.token}`, `{"deep":${deep}}`, {
      key: m.keys.reporter,
    });
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain('512 levels');
    const ok = await send(
      `/messages?uuid=${j.uuid}&event=update&token=${j.token}`,
      `{"deep":${'['.repeat(500)}${']'.repeat(500)}}`,
      { key: m.keys.reporter },
    );
    expect(ok.status).toBe(200);
  });

  it('applies the 1 MiB limit to the inflated body, so a small gzip bomb is a 413', async () => {
    const bomb = gzipSync(Buffer.from(`{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(10_000);
    const res = await send('/messages', bomb, {
      key: m.keys.reporter,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(413);
  });

  it('answers 415, not 400, for bytes that are not text under a type that is not JSON', async () => {
    const res = await send('/messages', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff]), {
      key: m.keys.reporter,
      contentType: 'image/png',
    });
    expect(res.status).toBe(415);
    expect(res.json.detail).toContain('application/json');
  });
});
