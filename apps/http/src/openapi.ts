import { type SchemaName, schemaNames, schemas } from '@pipelinejobs/schemas';

/** Component name of a schema file or definition: `create-job` -> `CreateJob`, `jobUuid` -> `JobUuid`. */
const componentName = (name: string) =>
  name.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());

type Json = unknown;

/** `value` with every `#/$defs/<name>` reference replaced through `target`. */
function withRefs(value: Json, target: (def: string) => string): Json {
  if (Array.isArray(value)) return value.map((item) => withRefs(item, target));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) =>
      key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')
        ? [key, `#/components/schemas/${target(item.slice('#/$defs/'.length))}`]
        : [key, withRefs(item, target)],
    ),
  );
}

/**
 * The schema files bundled into `components/schemas`, as tools resolve them: each file without
 * its `$id` and `$schema` (which would make its `#/$defs/...` references point into the file at
 * that URL), and each of its definitions a component of its own. A definition several files share
 * unchanged is one component (`JobUuid`); one whose name two files use differently is named after
 * its file too (`EventToken`).
 */
function bundledSchemas(): Record<string, Json> {
  const files = schemaNames.map((name) => {
    const { $id: _id, $schema: _schema, $defs, ...rest } = schemas[name] as Record<string, Json>;
    return { name, rest, defs: Object.entries(($defs ?? {}) as Record<string, Json>) };
  });
  const fileComponents = new Set(schemaNames.map(componentName));
  const texts = new Map<string, Set<string>>();
  for (const { defs } of files) {
    for (const [def, body] of defs) {
      texts.set(def, (texts.get(def) ?? new Set()).add(JSON.stringify(body)));
    }
  }
  const components: Record<string, Json> = {};
  for (const { name, rest, defs } of files) {
    const target = (def: string) =>
      texts.get(def)?.size === 1 && !fileComponents.has(componentName(def))
        ? componentName(def)
        : `${componentName(name)}${componentName(def)}`;
    components[componentName(name)] = withRefs(rest, target);
    for (const [def, body] of defs) components[target(def)] = withRefs(body, target);
  }
  return components;
}

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${componentName(name)}` });
const json = (name: SchemaName) => ({ 'application/json': { schema: ref(name) } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('problem') } },
});
const errors = {
  '400': problem('The request is not valid; `detail` and `errors` say what to fix'),
  '401': problem('No valid credential: send `Authorization: Bearer <API key or JWT>` or `?x-nonce=`'),
  '403': problem('The credential, job token or admin token does not allow this'),
  '429': problem('Rate limited; see Retry-After'),
  '503': problem('The database is unavailable; retry'),
};
/** Any route: the app's query parser refuses a URL parameter that is not UTF-8 or holds a NUL. */
const badQuery = {
  '400': problem('A URL parameter is not percent-encoded UTF-8, or holds a NUL'),
};
const streamAfter = (description: string) => ({
  name: 'after',
  in: 'query',
  description: `${description}; the Last-Event-ID header wins over it`,
  schema: { type: 'string' },
});
const lastEventId = {
  name: 'Last-Event-ID',
  in: 'header',
  description: 'The id of the last event received: the stream resumes after it',
  schema: { type: 'string' },
};
const eventStream = (description: string) => ({
  description: `${description}: \`id\`, \`event\` and \`data\` (the history entry as JSON) per event`,
  content: { 'text/event-stream': { schema: { type: 'string' } } },
});
const uuidParam = {
  name: 'uuid',
  in: 'path',
  required: true,
  description: 'Job UUID (107...)',
  schema: { type: 'string' },
};
const subscriptionParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Subscription id (a UUID)',
  schema: { type: 'string', format: 'uuid' },
};
const tokenQuery = (description: string) => ({
  name: 'token',
  in: 'query',
  required: false,
  description,
  schema: { type: 'string' },
});
const messageParams = [
  {
    name: 'uuid',
    in: 'query',
    description: 'Job UUID, for URL-parameter events and callbacks',
    schema: { type: 'string' },
  },
  { name: 'event', in: 'query', description: 'Event name (alias: name)', schema: { type: 'string' } },
  {
    name: 'status',
    in: 'query',
    description: 'Agave/Tapis status (alias: state), mapped to an event',
    schema: { type: 'string' },
  },
  tokenQuery('Job token or admin token'),
  { name: 'note', in: 'query', description: 'Added to the event data as `note`', schema: { type: 'string' } },
  {
    name: 'x-nonce',
    in: 'query',
    description: 'Nonce credential, instead of a bearer token',
    schema: { type: 'string' },
  },
];
const messages = {
  description:
    'Every inbound form becomes one event (or a delete action) on one job. The job token comes in the body or as `?token=`; an `Idempotency-Key` header (or `event_id`, or a Tapis `eventUuid`) makes a repeat of the same request a replay, answered with `Idempotent-Replayed: true`.',
  summary:
    'Update a job: JSON event, URL parameters, Agave v2 callback, Tapis v3 notification, or delete action',
  parameters: messageParams,
  requestBody: {
    required: false,
    content: {
      'application/json': {
        schema: {
          oneOf: [
            ref('event'),
            ref('agave-job-callback'),
            ref('tapis-job-notification'),
            ref('delete-job'),
            { type: 'object' },
          ],
        },
      },
    },
  },
  responses: {
    '200': {
      description: 'The event was applied (or replayed: header Idempotent-Replayed: true)',
      content: json('message-response'),
    },
    ...errors,
    '404': problem('No such job'),
    '409': problem('The job state does not allow the event; `state` and `allowed` say which events would be'),
    '410': problem('The job was deleted'),
    '413': problem('Body over 1 MiB'),
    '415': problem('Body is not JSON'),
  },
};
/** Headers of this Manager's answers (RFC 8288 Link beside `next`; Location of what a 201 made). */
const linkNext = {
  Link: {
    description:
      'The next page, `<...>; rel="next"`, while `next` is not null (query credentials are left out)',
    schema: { type: 'string' },
  },
};
const location = (what: string) => ({
  Location: { description: `The path of the ${what} created`, schema: { type: 'string' } },
});
const list = (name: SchemaName, description: string) => ({
  description,
  headers: linkNext,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['items', 'next'],
        properties: {
          items: { type: 'array', items: ref(name) },
          next: { type: ['string', 'integer', 'null'] },
        },
      },
    },
  },
});

/** A body carrying only a token, as `{"token": ...}` (instead of `?token=`). */
const tokenBody = (description: string) => ({
  required: false,
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { token: { type: 'string', description } },
        additionalProperties: false,
      },
    },
  },
});

/** The operations' groups, by the first segment of their path. */
const TAGS = [
  ['Events', 'Report what happened to a job: JSON events, URL parameters, Agave and Tapis callbacks'],
  ['Jobs', 'Create, read, list and delete jobs; their history, audit and token'],
  ['Pipelines', 'Register and read the pipelines jobs run'],
  ['State machine', 'The state machine every job follows'],
  ['Documents', 'The schemas, this document and the problem types'],
  ['Operations', 'Probes and metrics for the operator'],
  ['Notifications', 'Subscriptions to every accepted transition, their deliveries and replays'],
] as const;

type TagName = (typeof TAGS)[number][0];

const TAG_OF_SEGMENT: Record<string, TagName> = {
  messages: 'Events',
  actors: 'Events',
  events: 'Events',
  jobs: 'Jobs',
  pipelines: 'Pipelines',
  fsm: 'State machine',
  'fsm.svg': 'State machine',
  schemas: 'Documents',
  'openapi.json': 'Documents',
  problems: 'Documents',
  healthz: 'Operations',
  readyz: 'Operations',
  metrics: 'Operations',
  subscriptions: 'Notifications',
};

/** Each operation with the tag of its path. */
function tagged<T extends Record<string, Record<string, object>>>(paths: T): T {
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => {
      const tag = TAG_OF_SEGMENT[path.split('/')[1] ?? ''];
      if (tag === undefined) throw new Error(`No tag for ${path}: add its first segment to TAG_OF_SEGMENT`);
      return [
        path,
        Object.fromEntries(
          Object.entries(operations).map(([method, op]) => [method, { ...op, tags: [tag] }]),
        ),
      ];
    }),
  ) as T;
}

/** OpenAPI 3.1, built from the same schema files the validators use. */
/** `overdue` of the job listings (GET /jobs and its counts). */
const OVERDUE_PARAMETER = {
  name: 'overdue',
  in: 'query',
  description:
    "true: only jobs past the deadline of their state (its time budget, see the pipeline's and the job's `deadlines`), failed ones aside: those past a notify-only budget, and those past a fail budget the sweeper has not reached yet.",
  schema: { type: 'boolean' },
} as const;

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'PipelineJobs Manager',
      version: '0.1.0',
      description:
        'Tracks the lifecycle of computational pipeline jobs: a finite state machine, token-authorised events, ' +
        'and an append-only history per job. Errors are RFC 9457 problem documents whose `type` is a page of this ' +
        'Manager, `/problems/<slug>`.',
      license: { name: 'BSD-3-Clause', identifier: 'BSD-3-Clause' },
      contact: { name: 'PipelineJobs maintainers' },
    },
    tags: TAGS.map(([name, description]) => ({ name, description })),
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    // Relative (OpenAPI 3.1: resolved against where the document was fetched): never a host taken
    // from the request's Host header, which the client chooses, nor one fixed at build time.
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { nonce: [] }],
    components: {
      schemas: bundledSchemas(),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key (pjm_...) or JWT' },
        nonce: { type: 'apiKey', in: 'query', name: 'x-nonce' },
      },
    },
    paths: tagged({
      '/messages': { post: { ...messages, operationId: 'postMessage' } },
      '/actors/v2/{actorId}/messages': {
        post: {
          ...messages,
          operationId: 'postActorMessage',
          description:
            'Alias of POST /messages, so callback URLs of the original work by changing only the host',
          parameters: [
            ...messageParams,
            { name: 'actorId', in: 'path', required: true, schema: { type: 'string' } },
          ],
        },
      },
      '/jobs': {
        post: {
          operationId: 'createJob',
          description:
            "The job's identity is its pipeline, `child_of` and `data`: creating it again returns the same job (200), with its token to its creator or an admin. When `archive_path` is omitted the Manager fills it with the original client's path. `deadlines` overrides the pipeline's per-state time budgets for this job, state by state (null removes one); an admin changes them later with PUT /jobs/{uuid}/deadlines.",
          summary: 'Create a job (or return the existing job with the same identity), with its job token',
          requestBody: { required: true, content: json('create-job') },
          responses: {
            '201': { description: 'Created', headers: location('job'), content: json('job') },
            '200': { description: 'The job already existed', content: json('job') },
            ...errors,
            '404': problem('The pipeline is not registered'),
          },
        },
        get: {
          operationId: 'listJobs',
          description:
            "Cursor paging: pass the page's `next` as `cursor` until it is null. Deleted jobs are left out.",
          summary: 'List jobs, most recently updated first',
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string' } },
            { name: 'pipeline_uuid', in: 'query', schema: { type: 'string' } },
            { name: 'updated_since', in: 'query', schema: { type: 'string', format: 'date-time' } },
            OVERDUE_PARAMETER,
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': list('job', 'A page of jobs; pass `next` as `cursor` for the next'),
            ...errors,
          },
        },
      },
      '/jobs/counts': {
        get: {
          operationId: 'countJobs',
          description:
            'The same filters as GET /jobs (but `state`), `overdue` included: how many jobs match in each state, and in all. Deleted jobs are left out.',
          summary: 'How many jobs are in each state',
          parameters: [
            { name: 'pipeline_uuid', in: 'query', schema: { type: 'string' } },
            { name: 'updated_since', in: 'query', schema: { type: 'string', format: 'date-time' } },
            OVERDUE_PARAMETER,
          ],
          responses: {
            '200': {
              description: 'The counts',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['total', 'states'],
                    properties: {
                      total: { type: 'integer', minimum: 0 },
                      states: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/jobs/{uuid}': {
        get: {
          operationId: 'getJob',
          description: 'The job as the API returns it; its token is never included.',
          summary: 'One job',
          parameters: [uuidParam],
          responses: {
            '200': { description: 'The job', content: json('job') },
            ...errors,
            '404': problem('No such job'),
            '410': problem('Deleted'),
          },
        },
        delete: {
          operationId: 'deleteJob',
          description:
            "Soft by default (the job refuses events and leaves listings; its history stays readable); recorded in the job's audit.",
          summary: 'Delete a job (admin token); force=true removes it and its history',
          parameters: [
            uuidParam,
            tokenQuery('Admin token'),
            { name: 'force', in: 'query', schema: { type: 'boolean' } },
          ],
          responses: {
            '200': { description: 'Deleted' },
            ...errors,
            '404': problem('No such job'),
            '410': problem('Already deleted'),
          },
        },
      },
      '/jobs/{uuid}/history': {
        get: {
          operationId: 'getJobHistory',
          description: "Paging by seq: pass the page's `next` as `after` until it is null.",
          summary: 'The job history, oldest first, by seq',
          parameters: [
            uuidParam,
            { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: {
            '200': list('history-event', 'A page of history events'),
            ...errors,
            '404': problem('No such job'),
          },
        },
      },
      '/jobs/{uuid}/events/stream': {
        get: {
          operationId: 'streamJobEvents',
          summary: "The job's events as they happen (Server-Sent Events)",
          description:
            "A `text/event-stream`: the job's history after `after` (default: all of it), then each new event. " +
            'Each event has `id` = its seq, `event` = its name and `data` = the history entry as JSON; comments are ' +
            'heartbeats, and `retry:` says how long to wait before reconnecting. Resume with the `Last-Event-ID` ' +
            'header (what EventSource sends by itself) or `?after=`: no event is lost or repeated. The stream ends with ' +
            'a comment when the job is deleted or removed and created again (reconnecting then answers 410, or 400 for an ' +
            "id past the new job's last event), when its credential is revoked or expires, or when the consumer falls " +
            'too far behind. Browsers pass a credential as `?x-nonce=` (a nonce scoped to this job, or to none). ' +
            'HEAD answers the headers and opens nothing.',
          parameters: [uuidParam, streamAfter('The seq to resume after (0: the whole history)'), lastEventId],
          responses: {
            '200': eventStream("The job's events"),
            ...errors,
            '404': problem('No such job'),
            '410': problem('The job was deleted'),
            '429': problem('Too many event streams open for this credential or this Manager; close one'),
          },
        },
      },
      '/events/stream': {
        get: {
          operationId: 'streamEvents',
          summary: "Every job's events as they happen, filtered (Server-Sent Events)",
          description:
            "A `text/event-stream` of every job's new events (from now, or after `after`), in commit order across " +
            'every Manager on the database. Each event has `id` = its place in the stream (`<transaction>-<position>`, ' +
            'opaque: resume with it), `event` = its name and `data` = the history entry with `job_uuid` and ' +
            "`pipeline_uuid`; deleted jobs' entries are left out. Resume with `Last-Event-ID` or `?after=`, as for one " +
            "job's stream (an id past the stream's newest is a 400). Ends, as a job's stream does, when its credential is " +
            'revoked or expires. A stream from now first sends an `id:` with no data (where it begins), to resume from ' +
            'should it be cut before its first event.',
          parameters: [
            streamAfter('The id of the last event received (`<digits>-<digits>`)'),
            lastEventId,
            {
              name: 'pipeline_uuid',
              in: 'query',
              description: 'Only jobs of this pipeline',
              schema: { type: 'string' },
            },
            {
              name: 'state',
              in: 'query',
              description: 'Only events into these states (comma-separated)',
              schema: { type: 'string' },
            },
            {
              name: 'event',
              in: 'query',
              description: 'Only these events (comma-separated names)',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': eventStream("Every job's events"),
            ...errors,
            '429': problem('Too many event streams open for this credential or this Manager; close one'),
          },
        },
      },
      '/jobs/{uuid}/audit': {
        get: {
          operationId: 'getJobAudit',
          description:
            'For admins: the non-event actions on the job, kept even after a force delete removed it.',
          summary:
            'Who deleted, force-deleted or rotated the token of the job, and when (admins; kept after a force delete)',
          parameters: [
            uuidParam,
            { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: {
            '200': {
              description: 'The audit records, oldest first; `next` (the last `id`) continues as `after`',
              headers: linkNext,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['items', 'next'],
                    properties: {
                      next: { type: ['integer', 'null'] },
                      items: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['id', 'job_uuid', 'action', 'principal', 'token_version', 'date'],
                          properties: {
                            id: { type: 'integer' },
                            job_uuid: { type: 'string' },
                            action: {
                              type: 'string',
                              enum: ['delete', 'force_delete', 'rotate_token', 'set_deadlines'],
                            },
                            principal: {
                              type: 'object',
                              required: ['kind', 'id'],
                              properties: { kind: { type: 'string' }, id: { type: 'string' } },
                            },
                            token_version: { type: 'integer' },
                            date: { type: 'string', format: 'date-time' },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/jobs/{uuid}/events/dry-run': {
        post: {
          operationId: 'dryRunEvent',
          description:
            'Runs the checks sending the event would run (name, role, job, token, state machine) and answers their verdict in a 200, with the status and problem a refusal would have had.',
          summary: 'Would this event be accepted now, and to which state? Writes nothing',
          parameters: [
            uuidParam,
            {
              name: 'event',
              in: 'query',
              description: 'The event, instead of `name` in the body',
              schema: { type: 'string' },
            },
            tokenQuery('Job token or admin token'),
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
              },
            },
          },
          responses: { '200': { description: 'The verdict' }, ...errors, '404': problem('No such job') },
        },
      },
      '/jobs/{uuid}/cancel': {
        post: {
          operationId: 'cancelJob',
          description:
            "Only the job's creator, with its job token, and only while no event but its create was applied; a started job answers 409 (send `fail`). Recorded in the audit as a force delete.",
          summary: "Cancel a job its creator made and never started: remove it, with the job's token",
          parameters: [uuidParam, tokenQuery('Job token (or in the body as `token`)')],
          requestBody: tokenBody("The job's token, instead of `?token=`"),
          responses: {
            '200': { description: 'Removed (`{uuid, deleted: "hard"}`)' },
            ...errors,
            '404': problem('No such job'),
            '409': problem('The job has started: send a `fail` event instead'),
            '410': problem('The job was deleted'),
          },
        },
      },
      '/jobs/{uuid}/deadlines': {
        put: {
          operationId: 'setJobDeadlines',
          description:
            'For admins: the body is the job\'s time budgets by state, replacing those it has (its pipeline\'s with the overrides given at creation); a state left out or null has no budget. `"24h"` fails the job when it outlives the state by that long (a `fail` event, source `deadline`, principal system/deadline); `{"budget": "2h", "action": "notify"}` sends one `overdue` notification instead and leaves the job as it is. The deadline of the job\'s current state is recomputed from when it entered it. Recorded in the job\'s audit (`set_deadlines`). Needs an admin token (`?token=`) besides the admin role, as deleting a job does: a budget already used up fails the job at the next sweep.',
          summary: "Replace a job's per-state time budgets (admin, admin token)",
          parameters: [uuidParam, tokenQuery('Admin token (in the URL: the body is the budgets)')],
          requestBody: { required: true, content: json('deadlines') },
          responses: {
            '200': { description: 'The job with its new `deadlines` and `deadline`', content: json('job') },
            ...errors,
            '404': problem('No such job'),
            '410': problem('The job was deleted'),
          },
        },
      },
      '/jobs/{uuid}/token': {
        post: {
          operationId: 'rotateJobToken',
          description:
            "For a leaked token: the job's token version goes up, and the new token is returned. Recorded in the job's audit.",
          summary: 'Rotate the job token (admin token); the old one stops working',
          parameters: [uuidParam, tokenQuery('Admin token')],
          requestBody: tokenBody('An admin token, instead of `?token=`'),
          responses: {
            '200': { description: 'The job with its new token', content: json('job') },
            ...errors,
          },
        },
      },
      '/jobs/{uuid}/fsm.svg': {
        get: {
          operationId: 'getJobFsmSvg',
          description:
            "An SVG of the state machine with the job's current state filled and the transitions it went through drawn bold.",
          summary: "The state machine picture with the job's state and path highlighted",
          parameters: [uuidParam],
          responses: { '200': { description: 'SVG', content: { 'image/svg+xml': {} } }, ...errors },
        },
      },
      '/pipelines': {
        post: {
          operationId: 'registerPipeline',
          description:
            'The pipeline\'s identity is its `id` and components: registering it again returns the registered one (200). `deadlines` gives its jobs a time budget per state (`{"RUNNING": "24h", "INDEXING": {"budget": "2h", "action": "notify"}}`): a job that outlives one gets a `fail` event (source `deadline`), or with `notify` one `overdue` notification; each job copies them when it is created.',
          summary: 'Register a pipeline (or return the registered one with the same identity)',
          requestBody: { required: true, content: json('pipeline') },
          responses: {
            '201': { description: 'Registered', headers: location('pipeline') },
            '200': { description: 'Already registered' },
            ...errors,
          },
        },
        get: {
          operationId: 'listPipelines',
          description: "Cursor paging: pass the page's `next` as `cursor` until it is null.",
          summary: 'List pipelines',
          responses: { '200': { description: 'A page of pipelines', headers: linkNext }, ...errors },
        },
      },
      '/pipelines/{uuid}': {
        get: {
          operationId: 'getPipeline',
          description: 'The registered pipeline document with its uuid and timestamps.',
          summary: 'One pipeline',
          parameters: [{ ...uuidParam, description: 'Pipeline UUID (106...)' }],
          responses: {
            '200': { description: 'The pipeline' },
            ...errors,
            '404': problem('No such pipeline'),
          },
        },
      },
      '/subscriptions': {
        post: {
          operationId: 'createSubscription',
          description:
            'For admins: a URL that receives every accepted transition the filter wants (pipeline, job, states, events), signed per Standard Webhooks with a secret shown only in this answer.',
          summary: 'Subscribe a URL to job transitions (admin); the signing secret is in the answer, once',
          requestBody: { required: true, content: json('subscription') },
          responses: {
            '201': {
              description: 'The subscription, with `secret` (whsec_...)',
              headers: location('subscription'),
            },
            ...errors,
          },
        },
        get: {
          operationId: 'listSubscriptions',
          description:
            'For admins: every subscription with its target, filter, whether it is enabled and since when it fails; secrets are never listed.',
          summary: 'Every subscription (admin), never a secret',
          responses: { '200': { description: '`{subscriptions: [...]}`' }, ...errors },
        },
      },
      '/subscriptions/{id}': {
        get: {
          operationId: 'getSubscription',
          description:
            'For admins: one subscription with its target, filter and delivery state; never its secret.',
          summary: 'One subscription (admin), never its secret',
          parameters: [subscriptionParam],
          responses: {
            '200': { description: 'The subscription' },
            ...errors,
            '404': problem('No such subscription'),
          },
        },
        patch: {
          operationId: 'updateSubscription',
          description:
            'For admins: a filter given replaces the whole filter; `rotate_secret: true` answers a new secret and signs with both for the grace period; re-enabling sends what waited.',
          summary: 'Change the target, filter, description or enabled; `rotate_secret` issues a new secret',
          parameters: [subscriptionParam],
          requestBody: { required: true, content: json('subscription') },
          responses: {
            '200': { description: 'The subscription (with `secret` after a rotation)' },
            ...errors,
            '404': problem('No such subscription'),
          },
        },
        delete: {
          operationId: 'deleteSubscription',
          description:
            'For admins: the subscription goes with its pending notifications and its delivery log; nothing more is sent to it.',
          summary: 'Delete a subscription, its pending notifications and its delivery log',
          parameters: [subscriptionParam],
          responses: { '204': { description: 'Deleted' }, ...errors, '404': problem('No such subscription') },
        },
      },
      '/subscriptions/{id}/deliveries': {
        get: {
          operationId: 'listDeliveries',
          description:
            'For admins: one line per delivery attempt of this subscription, newest first, paged by `after`.',
          summary: 'The delivery log: every attempt, newest first (time, status code or error, duration)',
          parameters: [
            subscriptionParam,
            {
              name: 'limit',
              in: 'query',
              description: '1 to 1000, default 100',
              schema: { type: 'integer' },
            },
            {
              name: 'before',
              in: 'query',
              description: 'An attempt id: the page after it',
              schema: { type: 'integer' },
            },
          ],
          responses: {
            '200': { description: '`{deliveries: [...], next}`', headers: linkNext },
            ...errors,
            '404': problem('No such subscription'),
          },
        },
      },
      '/subscriptions/{id}/replay': {
        post: {
          operationId: 'replaySubscription',
          description:
            'For admins: every history entry since `since` that the filter wants is queued again, in seq order per job, with its original `webhook-id` (receivers deduplicate on it).',
          summary: 'Deliver again every transition since a time that the filter wants',
          parameters: [subscriptionParam],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['since'],
                  properties: { since: { type: 'string', format: 'date-time' } },
                },
              },
            },
          },
          responses: {
            '202': { description: '`{queued: n}`' },
            ...errors,
            '404': problem('No such subscription'),
          },
        },
      },
      '/subscriptions/{id}/redeliver': {
        post: {
          operationId: 'redeliverNotification',
          description:
            'For admins: one history entry (job and seq) is queued again for this subscription, with its original `webhook-id`.',
          summary: 'Deliver one history entry again',
          parameters: [subscriptionParam],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['job_uuid', 'seq'],
                  properties: { job_uuid: { type: 'string' }, seq: { type: 'integer', minimum: 1 } },
                },
              },
            },
          },
          responses: {
            '202': { description: '`{queued: 1}`' },
            ...errors,
            '404': problem('No such subscription or history entry'),
          },
        },
      },
      '/fsm': {
        get: {
          operationId: 'getFsm',
          description:
            'The table every job follows, as JSON: the states, the events, and which event leads from which state to which.',
          summary: 'The state machine table: states, events, transitions',
          responses: { '200': { description: 'The state machine table' }, ...errors },
        },
      },
      '/fsm.svg': {
        get: {
          operationId: 'getFsmSvg',
          description: 'The state machine as an SVG picture, laid out by Graphviz.',
          summary: 'The state machine picture',
          responses: { '200': { description: 'SVG', content: { 'image/svg+xml': {} } }, ...errors },
        },
      },
      '/schemas/{name}': {
        get: {
          operationId: 'getSchema',
          description: 'The JSON Schema (draft 2020-12) by file name, as the validators use it.',
          summary: 'A published JSON Schema',
          parameters: [
            { name: 'name', in: 'path', required: true, schema: { type: 'string', enum: [...schemaNames] } },
          ],
          responses: { '200': { description: 'The JSON Schema' }, '404': problem('No such schema') },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          description: 'OpenAPI 3.1; its schemas are the published JSON Schemas, bundled into components.',
          summary: 'This OpenAPI document',
          security: [],
          responses: { '200': { description: 'This document' }, ...badQuery },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          description:
            'Answers 200 while the process runs; for liveness probes. It does not look at the database.',
          summary: 'Liveness: the process answers',
          security: [],
          responses: { '200': { description: 'The process is up' }, ...badQuery },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          description:
            '200 when the database answers and this process may write to it; 503 while shutting down or while an operator problem holds. For readiness probes.',
          summary: 'Readiness: the database answers and may be written',
          security: [],
          responses: {
            '200': { description: 'Ready: the database answers and this process may write to it' },
            ...badQuery,
            '503': {
              description:
                'Not ready (`{status, accepting, database, writable, condition?, detail?}`): shutting down, the database does not answer or refuses writes, or a failure the operator must fix was seen in the last 30 s',
            },
          },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          description:
            'A reader credential, or none when the operator allows it (PIPELINEJOBS_METRICS_PUBLIC=true, for scrapers)',
          security: [{ bearer: [] }, { nonce: [] }, {}],
          responses: {
            '200': { description: 'Prometheus metrics', content: { 'text/plain': {} } },
            '401': errors['401'],
            '403': errors['403'],
          },
        },
      },
      '/problems': {
        get: {
          operationId: 'listProblemTypes',
          description: 'An HTML page listing every problem type with its status.',
          summary: 'Every problem type, as a page for people',
          security: [],
          responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, ...badQuery },
        },
      },
      '/problems/{slug}': {
        get: {
          operationId: 'getProblemType',
          description: 'An HTML page: what the problem means, its status, and what the caller can do.',
          summary:
            "What a problem document's `type` (`/problems/<slug>`) means and what to do, as a page for people",
          security: [],
          parameters: [{ name: 'slug', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'HTML', content: { 'text/html': {} } },
            '404': problem('No such problem type'),
          },
        },
      },
    }),
    webhooks: {
      jobTransition: {
        post: {
          operationId: 'jobTransitionNotification',
          summary: 'What a subscription receives for each accepted transition (a job create included)',
          description:
            'Signed per Standard Webhooks v1: `webhook-id` (the event uuid, the same on every retry and replay), ' +
            '`webhook-timestamp` (Unix seconds), `webhook-signature` (`v1,` + base64 HMAC-SHA256 of ' +
            '`id.timestamp.body` under the base64 key after `whsec_`; two signatures during a secret rotation). ' +
            "A job's notifications reach a subscription in seq order; answer 2xx within the timeout, or it is retried " +
            '(Retry-After honoured); 410 disables the subscription. Redirects are not followed.',
          parameters: [
            { name: 'webhook-id', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'webhook-timestamp', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'webhook-signature', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: json('webhook-notification') },
          tags: ['Notifications'],
          security: [],
          responses: {
            '200': { description: 'Any 2xx: delivered' },
            '410': { description: 'The endpoint is gone: the subscription is disabled' },
            '4XX': { description: 'Any other refusal: retried on the schedule, like a 5xx' },
          },
        },
      },
    },
  };
}
