import { STATE_NAMES } from '@pipelinejobs/core';
import fc from 'fast-check';
import { jobBody, PIPELINE } from './fixtures.js';
import type { HttpRequest } from './http.js';

/** What the generators may use: real jobs, tokens and credentials, so some requests get past auth. */
export interface FuzzContext {
  jobs: { uuid: string; token: string }[];
  pipelineUuid: string;
  /** Valid API keys of every role. */
  keys: string[];
  revokedKey: string;
  /** A reader nonce, a reporter nonce limited to jobs[0], a used-up nonce. */
  nonces: string[];
  adminToken: string;
}

/** A body, materialised only when sent (a 1.5 MiB string is not kept 10,000 times). */
export type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'huge'; size: number; field: 'data' | 'uuid' | 'name' | 'token' | 'top' }
  | { kind: 'deep'; depth: number; open: '[' | '{'; wrapped: boolean };

/** A request before headers and credentials are added. */
type Route = { route: string; method: string; path: string; body?: BodySpec; bigHeader?: string };

export interface FuzzRequest {
  /** The route family, for the figures: messages, jobs.create, jobs.list, ... */
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: BodySpec;
}

export const INJECTIONS = [
  "' OR 1=1 --",
  "'; DROP TABLE jobs; --",
  '"',
  '\\"',
  '%00',
  '\u0000',
  "1' UNION SELECT hash FROM api_keys --",
  "'); SELECT pg_sleep(5); --",
  '$1',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell probe, sent literally
  '${jndi:ldap://127.0.0.1/x}',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '107\u0000',
  'NULL',
  '-1',
];

const EVENTS = ['run', 'update', 'resource', 'fail', 'finish', 'index', 'indexed', 'validate', 'validated'];
const MORE_EVENTS = ['finalize', 'reject', 'retire', 'reset', 'ready', 'create', 'RUN', ' Update ', 'bogus'];

/** Percent-encodes every byte but the unreserved ones; lone surrogates become U+FFFD. */
export function enc(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Characters node:http will put in a header value. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(...INJECTIONS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '\t', 'null', 'undefined', 'true', '0', '-0', '1e309', 'NaN'),
  },
  { weight: 1, arbitrary: fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n)) },
);

function urlValue(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(enc) },
    { weight: 3, arbitrary: anyText.map(enc) },
    // Unencoded punctuation, as sloppy clients send it (never space, # or control characters).
    {
      weight: 1,
      arbitrary: fc.constantFrom("'", '"', '<>', '{}', '|', '\\', '^', '`', ';', ',', '%', '%zz', '%00', '+'),
    },
  );
}

function queryString(params: fc.Arbitrary<[string, string][]>): fc.Arbitrary<string> {
  return params.map((pairs) =>
    pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`,
  );
}

/** Mutations of a valid document: drop, replace or add fields, wrong types, huge or odd values. */
function mutated(fixture: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(fixture);
  const oddValue = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    anyText,
    fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, [], {}, [null], { $ne: 1 }, '107', 'CREATED'),
  );
  const mutation = fc.oneof(
    fc.constant((d: Record<string, unknown>) => d),
    fc.constantFrom(...keys).map((k) => (d: Record<string, unknown>) => {
      const { [k]: _dropped, ...rest } = d;
      return rest;
    }),
    fc.tuple(fc.constantFrom(...keys), oddValue).map(([k, v]) => (d: Record<string, unknown>) => ({
      ...d,
      [k]: v,
    })),
    fc.tuple(fc.string({ maxLength: 12 }), oddValue).map(([k, v]) => (d: Record<string, unknown>) => ({
      ...d,
      [k]: v,
    })),
    fc
      .tuple(fc.constantFrom(...keys), fc.string({ unit: 'grapheme', maxLength: 200 }))
      .map(([k, v]) => (d: Record<string, unknown>) => ({ ...d, [k]: v })),
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(mutation, { minLength: 1, maxLength: 3 })
        .map((ms) => ms.reduce((d, m) => m(d), fixture)),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.constant(fixture) },
  );
}

const specialBody: fc.Arbitrary<BodySpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(
        '{',
        '{"uuid": }',
        "{'uuid': 'x'}",
        '{"a":1,}',
        '[1, 2',
        'NaN',
        '{"a": NaN}',
        '{"a": 1e999999}',
        '\uFEFF{"name": "run"}',
        '{"name": "run"}{"name": "run"}',
        '"just a string"',
        'true',
        'null',
        '12345678901234567890123456789',
        '{"__proto__": {"admin": true}, "name": "run"}',
        '{"constructor": {"prototype": {"x": 1}}}',
        '{"name": "\\ud800"}',
        '{"name": "run\\u0000"}',
        '{"data": {"\\u0000": 1}}',
        'uuid=107&event=run',
        '<xml>run</xml>',
        '   ',
      )
      .map((text): BodySpec => ({ kind: 'text', text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.nat({ max: 255 }), { maxLength: 64 })
      .map((bytes): BodySpec => ({ kind: 'bytes', bytes })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        depth: fc.constantFrom(65, 1000, 1000, 10_000, 100_000),
        open: fc.constantFrom('[' as const, '{' as const),
        wrapped: fc.boolean(),
      })
      .map((d): BodySpec => ({ kind: 'deep', ...d })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        size: fc.oneof(
          fc.integer({ min: 1000, max: 1_500_000 }),
          fc.constantFrom(1024 * 1024 - 200, 1024 * 1024 + 1, 1_572_864),
        ),
        field: fc.constantFrom(
          'data' as const,
          'uuid' as const,
          'name' as const,
          'token' as const,
          'top' as const,
        ),
      })
      .map((h): BodySpec => ({ kind: 'huge', ...h })),
  },
);

/**
 * Number literals that JSON.parse would change (infinite, rounded, zero from non-zero) or that sit
 * at the edge of what a double holds exactly; each must be stored as sent or refused.
 */
const ODD_NUMBERS = [
  '1e400',
  '-1e400',
  '1e-400',
  '-2e-324',
  '12345678901234567890',
  '9007199254740993',
  '-9007199254740993',
  '1152921504606846976',
  '9007199254740991',
  '9007199254740992',
  '100000000000000000000',
  '1000000000000000000000',
  '1e21',
  '5e-324',
  '1.7976931348623157e308',
  '1.8e308',
  '-0.0',
  '-0',
  '1.0',
  '0.1',
  '3.14159265358979323846',
  '0e400',
  '1E2',
];

/** JSON text (not values: JSON.stringify cannot write these) holding odd numbers or a repeated key. */
const oddValueText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_NUMBERS),
  fc.array(fc.constantFrom(...ODD_NUMBERS), { minLength: 1, maxLength: 3 }).map((ns) => `[${ns.join(',')}]`),
  fc
    .tuple(fc.constantFrom(...ODD_NUMBERS), fc.constantFrom(...ODD_NUMBERS))
    .map(([a, b]) => `{"a":${a},"b":{"c":${b}}}`),
  fc.constantFrom(
    '{"k":1,"k":2}',
    '{"k":{"x":1,"x":1}}',
    '[{"id":1,"id":1}]',
    '{"__proto__":1,"__proto__":2}',
  ),
);

/** A byte that cannot stand where it is in UTF-8: a lone continuation, a Latin-1 letter, an invalid lead. */
const nonUtf8Byte = fc.oneof(
  fc.integer({ min: 0x80, max: 0xbf }),
  fc.constantFrom(0xe9, 0xfc, 0xc0, 0xc1, 0xf5, 0xff),
);

function bodyOf(documents: fc.Arbitrary<unknown>): fc.Arbitrary<BodySpec | undefined> {
  return fc.oneof(
    { weight: 8, arbitrary: documents.map((value): BodySpec => ({ kind: 'json', value })) },
    { weight: 3, arbitrary: specialBody },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/merge-patch+json',
  'application/problem+json',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset=bogus',
  'application/json; charset=iso-8859-1',
  'application/json; charset=us-ascii',
  'application/json; charset="UTF-8"',
  'text/plain; charset=utf-8',
  'image/png',
  '*/*',
  ';;',
  '',
];

function headersOf(ctx: FuzzContext): fc.Arbitrary<{ headers: Record<string, string>; nonce?: string }> {
  const apiKey = fc.constantFrom(...ctx.keys);
  const auth = fc.oneof(
    { weight: 10, arbitrary: apiKey.map((k) => ({ authorization: `Bearer ${k}` })) },
    { weight: 2, arbitrary: fc.constant({}) },
    { weight: 2, arbitrary: fc.constantFrom(...ctx.nonces).map((n) => ({ nonce: n })) },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            'Bearer',
            'Bearer ',
            'Basic dXNlcjpwYXNz',
            `Bearer ${ctx.revokedKey}`,
            `bearer\t${ctx.keys[0]}`,
            `Bearer ${ctx.keys[0]} extra`,
            `Bearer ${ctx.keys[0]?.slice(0, -1)}`,
            `Bearer ${ctx.keys[0]}x`,
            `Bearer pjm_${'A'.repeat(32)}`,
            `Bearer pjn_${'A'.repeat(32)}`,
            'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
            `Bearer ${'A'.repeat(8000)}`,
          ),
          anyText.map((t) => `Bearer ${t}`),
          anyText,
        )
        .map((h) => ({ authorization: headerSafe(h) })),
    },
  );
  const extra = fc.record(
    {
      'content-type': fc.constantFrom(...CONTENT_TYPES),
      'idempotency-key': fc.oneof(anyText, fc.constantFrom('k', 'x'.repeat(201))).map(headerSafe),
      'x-request-id': fc.oneof(anyText, fc.constant('ok-id.1')).map(headerSafe),
      accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/problem+json', 'x/y;q=0'),
      'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'),
      'x-fuzz': anyText.map(headerSafe),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(auth, extra, fc.nat({ max: 9 })).map(([a, e, n]) => {
    const headers: Record<string, string> = {};
    if ('authorization' in a && a.authorization !== undefined) headers.authorization = a.authorization;
    // content-type most of the time; content-encoding rarely (it makes almost any body invalid)
    for (const [k, v] of Object.entries(e)) {
      if (k === 'content-encoding' && n !== 0) continue;
      if (v !== undefined) headers[k] = v;
    }
    if (!('content-type' in e) && n < 7) headers['content-type'] = 'application/json';
    return 'nonce' in a && a.nonce !== undefined ? { headers, nonce: a.nonce } : { headers };
  });
}

/** Generated requests against every route the brief names (and a few more). */
export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const job = fc.constantFrom(...ctx.jobs);
  const jobUuid = job.map((j) => j.uuid);
  const token = fc.oneof(
    { weight: 6, arbitrary: job.map((j) => j.token) },
    { weight: 1, arbitrary: fc.constant(ctx.adminToken) },
    { weight: 2, arbitrary: fc.stringMatching(/^[0-9a-f]{16}$/) },
    { weight: 2, arbitrary: anyText },
  );
  const eventName = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...EVENTS) },
    { weight: 2, arbitrary: fc.constantFrom(...MORE_EVENTS) },
    { weight: 1, arbitrary: anyText },
  );
  const someUuid = fc.oneof(
    { weight: 6, arbitrary: jobUuid },
    { weight: 1, arbitrary: jobUuid.map((u) => u.toUpperCase()) },
    { weight: 1, arbitrary: fc.uuid().map((u) => `107${u.slice(3)}`) },
    { weight: 1, arbitrary: fc.constant(ctx.pipelineUuid) },
    { weight: 1, arbitrary: anyText },
  );
  const pathUuid = fc.oneof(
    { weight: 4, arbitrary: someUuid.map(enc) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "'",
        '"',
        '%00',
        '..',
        '.',
        '%2e%2e',
        '%2F',
        '{x}',
        '<x>',
        'a|b',
        // Malformed percent-escapes: the router cannot decode these.
        '%',
        '%zz',
        '%E0%A4%A',
        '%C0%AF',
        `${'1'.repeat(5000)}`,
      ),
    },
  );

  // /messages and its alias: the JSON event, URL parameters, Agave, Tapis and delete forms.
  const eventDoc = fc
    .record({ j: job, name: eventName, t: token })
    .chain(({ j, name, t }) => mutated({ uuid: j.uuid, name, token: t, data: { fuzz: true } }));
  const agaveDoc = mutated({
    id: '6874237679603805720-242ac11b-0001-007',
    appId: 'fcs-etl-0.3.6u12',
    status: 'RUNNING',
    owner: 'sd2eadm',
    archivePath: '/biofab/yeast-gates',
    _links: { self: { href: 'https://api.sd2e.org/jobs/v2/x' } },
  });
  const tapisDoc = fc.record({ j: job, t: token }).chain(({ j, t }) =>
    mutated({
      uuid: '03f1f8a9-dcbe-4edb-af7e-84b5bf5227ec',
      tenant: 'tacc',
      subscriptionName: 'jobs~sd2eadm~tacc~x',
      eventUuid: `fuzz-${t.slice(0, 4)}`,
      event: {
        source: 'https://tapis.io/jobs',
        type: 'jobs.JOB_NEW_STATUS.RUNNING',
        subject: 'ece0b5cd-f1dc-49b2-9a3c-f5ac50386d4c-007',
        data: '{"newJobStatus":"RUNNING","oldJobStatus":"QUEUED"}',
        timestamp: '2026-11-20T15:02:41.208113574Z',
      },
      deliveryTarget: {
        deliveryMethod: 'WEBHOOK',
        deliveryAddress: `https://pipelinejobs.example.org/messages?uuid=${j.uuid}&token=${t}`,
      },
      created: '2026-11-20T15:02:41.297405118Z',
    }),
  );
  const deleteDoc = fc
    .record({ u: someUuid, t: token, force: fc.boolean() })
    .chain(({ u, t, force }) => mutated({ uuid: u, action: 'delete', token: t, force }));
  const messageParams = fc
    .record(
      {
        uuid: urlValue(someUuid),
        event: urlValue(eventName),
        name: urlValue(eventName),
        token: urlValue(token),
        status: urlValue(
          fc.constantFrom('RUNNING', 'FINISHED', 'FAILED', 'KILLED', 'UPDATED', 'BLOCKED', 'weird'),
        ),
        state: urlValue(fc.constantFrom('RUNNING', 'FINISHED')),
        note: urlValue(anyText),
        extra: urlValue(anyText),
      },
      { requiredKeys: [] },
    )
    .chain((params) =>
      fc.tuple(fc.constant(params), fc.boolean()).map(([p, twice]) => {
        const pairs = Object.entries(p).map(([k, v]): [string, string] => [k, v]);
        if (twice && pairs[0]) pairs.push(pairs[0]); // a repeated parameter
        return pairs;
      }),
    );
  const messages = fc
    .record({
      path: fc.oneof(
        { weight: 3, arbitrary: fc.constant('/messages') },
        { weight: 1, arbitrary: fc.constant('/actors/v2/x/messages') },
        { weight: 1, arbitrary: anyText.map((a) => `/actors/v2/${enc(a) || 'x'}/messages`) },
      ),
      query: queryString(fc.oneof(fc.constant<[string, string][]>([]), messageParams)),
      body: bodyOf(
        fc.oneof({ weight: 4, arbitrary: eventDoc }, agaveDoc, tapisDoc, deleteDoc, fc.jsonValue()),
      ),
    })
    .map(({ path, query, body }) => ({ route: 'messages', method: 'POST', path: path + query, body }));

  // Events and jobs whose text holds odd numbers, repeated keys or bytes that are not UTF-8.
  const text = (t: string): BodySpec => ({ kind: 'text', text: t });
  const oddMessages = fc
    .record({
      j: job,
      t: token,
      name: eventName,
      value: oddValueText,
      byte: nonUtf8Byte,
      pick: fc.nat({ max: 5 }),
    })
    .map(({ j, t, name, value, byte, pick }) => {
      const event = (rest: string) =>
        `{"uuid":"${j.uuid}","name":${JSON.stringify(name)},"token":"${t}"${rest}}`;
      const bodies: [string, BodySpec][] = [
        ['/messages', text(event(`,"data":{"n":${value}}`))],
        [`/messages?uuid=${j.uuid}&event=update&token=${j.token}`, text(`{"n":${value},"m":${value}}`)],
        [
          '/messages',
          text(`{"uuid":"${j.uuid}","name":"update","name":${JSON.stringify(name)},"token":"${j.token}"}`),
        ],
        ['/messages', text(`{"uuid":"${j.uuid}","name":"update","token":"${t}","token":"${j.token}"}`)],
        [
          `/actors/v2/x/messages?uuid=${j.uuid}&status=RUNNING&token=${j.token}`,
          text(`{"id":"6874237679603805720-242ac11b-0001-007","status":"RUNNING","nodeCount":${value}}`),
        ],
        [
          '/messages',
          {
            kind: 'bytes',
            bytes: [...Buffer.from(event(',"data":{"note":"caf')), byte, ...Buffer.from('"}')],
          },
        ],
      ];
      const [path, body] = bodies[pick] as [string, BodySpec];
      return { route: 'messages', method: 'POST', path, body };
    });

  const createJob = fc
    .record({ n: fc.nat({ max: 1_000_000 }) })
    .chain(({ n }) =>
      fc.oneof(
        { weight: 5, arbitrary: bodyOf(mutated({ ...jobBody('fuzz', n), pipeline_uuid: ctx.pipelineUuid })) },
        {
          weight: 2,
          arbitrary: fc
            .tuple(oddValueText, nonUtf8Byte, fc.nat({ max: 2 }))
            .map(([value, byte, pick]): BodySpec => {
              const head = `{"pipeline_uuid":"${ctx.pipelineUuid}","child_of":[],"data":{"fuzz":${n},`;
              if (pick === 0) return text(`${head}"n":${value}}}`);
              if (pick === 1) return text(`${head}"n":1},"data":{"n":2}}`);
              return {
                kind: 'bytes',
                bytes: [...Buffer.from(`${head}"note":"`), byte, ...Buffer.from('"}}')],
              };
            }),
        },
      ),
    )
    .map((body) => ({ route: 'jobs.create', method: 'POST', path: '/jobs', body }));

  const createPipeline = bodyOf(mutated(PIPELINE)).map((body) => ({
    route: 'pipelines.create',
    method: 'POST',
    path: '/pipelines',
    body,
  }));

  const dateText = fc.oneof(
    fc
      .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
      .map((d) => d.toISOString()),
    fc.constantFrom(
      '2026-11-28T00:00:00Z',
      '0000-01-01',
      '-000001-01-01T00:00:00Z',
      '+275760-09-13T00:00:00.000Z',
      '1970-01-01',
      '2026-02-30',
      '2026',
      'yesterday',
      '1700000000000',
    ),
    anyText,
  );
  const base64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const cursor = fc.oneof(
    fc.constantFrom(
      base64(['x', 'y']),
      base64(['2026-01-01T00:00:00.000Z', '107']),
      base64(['0000-01-01T00:00:00.000Z', '107']),
      base64(['2026-01-01T00:00:00.000Z', 'a\u0000b']),
      base64([1, 2]),
      base64(null),
      base64(['', '']),
      'e30',
      '%00',
    ),
    fc.tuple(dateText, anyText).map(base64),
    anyText,
  );
  const listParams = fc.record(
    {
      state: urlValue(
        fc.oneof(fc.constantFrom(...STATE_NAMES), fc.constantFrom('created', 'Running', 'RESET ')),
      ),
      pipeline_uuid: urlValue(
        fc.oneof(fc.constant(ctx.pipelineUuid), fc.constant(ctx.pipelineUuid.toUpperCase())),
      ),
      cursor: urlValue(cursor),
      updated_since: urlValue(dateText),
      limit: urlValue(
        fc.oneof(
          fc.integer({ min: -10, max: 600 }).map(String),
          fc.constantFrom('1e2', '0x10', '1.5', 'NaN', '9'.repeat(30)),
        ),
      ),
      'x-nonce': urlValue(fc.constantFrom(...ctx.nonces)),
      other: urlValue(anyText),
    },
    { requiredKeys: [] },
  );
  const listJobs = queryString(listParams.map((p) => Object.entries(p))).map((q) => ({
    route: 'jobs.list',
    method: 'GET',
    path: `/jobs${q}`,
  }));
  const listPipelines = queryString(
    fc
      .record(
        {
          cursor: urlValue(fc.oneof(cursor, fc.constant(ctx.pipelineUuid))),
          limit: urlValue(fc.constantFrom('1', '0', '501', 'x')),
        },
        { requiredKeys: [] },
      )
      .map((p) => Object.entries(p)),
  ).map((q) => ({ route: 'pipelines.list', method: 'GET', path: `/pipelines${q}` }));

  const getJob = pathUuid.map((u) => ({ route: 'jobs.get', method: 'GET', path: `/jobs/${u}` }));
  const history = fc
    .tuple(
      pathUuid,
      queryString(
        fc
          .record(
            {
              after: urlValue(fc.constantFrom('0', '2', '-1', '1e3', 'x', '2147483648')),
              limit: urlValue(fc.constantFrom('1', '1000', '1001', '0')),
            },
            { requiredKeys: [] },
          )
          .map((p) => Object.entries(p)),
      ),
    )
    .map(([u, q]) => ({ route: 'jobs.history', method: 'GET', path: `/jobs/${u}/history${q}` }));
  const getPipeline = fc
    .oneof(fc.constant(ctx.pipelineUuid), anyText.map(enc))
    .map((u) => ({ route: 'pipelines.get', method: 'GET', path: `/pipelines/${u}` }));
  const deleteJob = fc
    .tuple(
      pathUuid,
      queryString(
        fc
          .record(
            { token: urlValue(token), force: urlValue(fc.constantFrom('true', 'false', 'yes', '1')) },
            { requiredKeys: [] },
          )
          .map((p) => Object.entries(p)),
      ),
      bodyOf(fc.record({ token }, { requiredKeys: [] })),
    )
    .map(([u, q, body]) => ({ route: 'jobs.delete', method: 'DELETE', path: `/jobs/${u}${q}`, body }));
  const dryRun = fc
    .tuple(
      pathUuid,
      queryString(
        fc.record({ event: urlValue(eventName) }, { requiredKeys: [] }).map((p) => Object.entries(p)),
      ),
      bodyOf(eventName.chain((name) => mutated({ name }))),
    )
    .map(([u, q, body]) => ({
      route: 'jobs.dry-run',
      method: 'POST',
      path: `/jobs/${u}/events/dry-run${q}`,
      body,
    }));
  const elsewhere = fc
    .tuple(
      fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'POST'),
      fc.constantFrom('/messages', '/jobs', '/pipelines', '/fsm', '/', '/jobs/x/y/z', '/%2e%2e/etc'),
      bodyOf(fc.jsonValue()),
    )
    .map(([method, path, body]) => ({ route: 'other', method, path, body }));

  // Beyond Node's 16 KiB header limit: the answer must still be a problem document.
  const oversize = fc.tuple(fc.boolean(), fc.integer({ min: 17_000, max: 40_000 })).map(([inUrl, n]) => ({
    route: 'oversize',
    method: 'GET',
    path: inUrl ? `/jobs?state=${'x'.repeat(n)}` : '/jobs',
    ...(inUrl ? {} : { bigHeader: 'x'.repeat(n) }),
  }));

  return fc
    .tuple(
      fc.oneof<fc.WeightedArbitrary<Route>[]>(
        { weight: 10, arbitrary: messages },
        { weight: 3, arbitrary: oddMessages },
        { weight: 3, arbitrary: createJob },
        { weight: 2, arbitrary: createPipeline },
        { weight: 3, arbitrary: listJobs },
        { weight: 2, arbitrary: getJob },
        { weight: 1, arbitrary: history },
        { weight: 1, arbitrary: listPipelines },
        { weight: 1, arbitrary: getPipeline },
        { weight: 2, arbitrary: deleteJob },
        { weight: 2, arbitrary: dryRun },
        { weight: 1, arbitrary: elsewhere },
        { weight: 1, arbitrary: oversize },
      ),
      headersOf(ctx),
    )
    .map(([{ bigHeader, ...r }, { headers, nonce }]): FuzzRequest => {
      const request: FuzzRequest = { ...r, headers: { ...headers } };
      if (bigHeader !== undefined) request.headers['x-big'] = bigHeader;
      if (nonce !== undefined) {
        request.path += `${request.path.includes('?') ? '&' : '?'}x-nonce=${nonce}`;
      }
      if (request.body === undefined) delete request.headers['content-type'];
      return request;
    });
}

/** The bytes of a body spec. */
function materialise(body: BodySpec | undefined, ctx: FuzzContext): string | Buffer | undefined {
  if (body === undefined) return undefined;
  switch (body.kind) {
    case 'json':
      return JSON.stringify(body.value) ?? 'null';
    case 'text':
      return body.text;
    case 'bytes':
      return Buffer.from(body.bytes);
    case 'deep': {
      const open = body.open === '[' ? '[' : '{"a":';
      const close = body.open === '[' ? ']' : '}';
      const deep = open.repeat(body.depth) + close.repeat(body.depth);
      const job = ctx.jobs[0] as { uuid: string; token: string };
      return body.wrapped
        ? `{"uuid":"${job.uuid}","name":"update","token":"${job.token}","data":{"deep":${deep}}}`
        : deep;
    }
    case 'huge': {
      const job = ctx.jobs[0] as { uuid: string; token: string };
      const big = 'x'.repeat(body.size);
      if (body.field === 'top') return JSON.stringify(big);
      const doc: Record<string, unknown> = { uuid: job.uuid, name: 'update', token: job.token };
      doc[body.field] = body.field === 'data' ? { big } : big;
      return JSON.stringify(doc);
    }
  }
}

export function toHttp(request: FuzzRequest, ctx: FuzzContext): HttpRequest {
  return {
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: materialise(request.body, ctx),
    timeoutMs: 30_000,
  };
}

/** How a failing case is shown: enough to replay it, never megabytes. */
export function describe(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : request.body.kind === 'json'
        ? JSON.stringify(request.body.value)?.slice(0, 300)
        : request.body.kind === 'text'
          ? JSON.stringify(request.body.text.slice(0, 300))
          : JSON.stringify({ ...request.body, bytes: undefined });
  return `${request.method} ${request.path.slice(0, 300)} ${JSON.stringify(request.headers).slice(0, 300)} ${body}`;
}
