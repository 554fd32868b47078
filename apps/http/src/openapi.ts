import { type SchemaName, schemaNames, schemas } from '@pipelinejobs/schemas';

/** Component name of a schema file: `create-job` -> `CreateJob`. */
const componentName = (name: SchemaName) =>
  name.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());

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

/** OpenAPI 3.1, built from the same schema files the validators use. */
export function openApiDocument(serverUrl?: string) {
  const components = Object.fromEntries(schemaNames.map((name) => [componentName(name), schemas[name]]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'PipelineJobs Manager',
      version: '0.1.0',
      description:
        'Tracks the lifecycle of computational pipeline jobs: a finite state machine, token-authorised events, ' +
        'and an append-only history per job.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }, { nonce: [] }],
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key (pjm_...) or JWT' },
        nonce: { type: 'apiKey', in: 'query', name: 'x-nonce' },
      },
    },
    paths: {
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
          summary: 'List jobs, most recently updated first',
          parameters: [
            { name: 'state', in: 'query', schema: { type: 'string' } },
            { name: 'pipeline_uuid', in: 'query', schema: { type: 'string' } },
            { name: 'updated_since', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': list('job', 'A page of jobs; pass `next` as `cursor` for the next'),
            ...errors,
          },
        },
      },
      '/jobs/{uuid}': {
        get: {
          operationId: 'getJob',
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
      '/jobs/{uuid}/audit': {
        get: {
          operationId: 'getJobAudit',
          summary:
            'Who deleted, force-deleted or rotated the token of the job, and when (admins; kept after a force delete)',
          parameters: [uuidParam],
          responses: {
            '200': {
              description: 'The audit records, oldest first',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['items'],
                    properties: {
                      items: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['job_uuid', 'action', 'principal', 'token_version', 'date'],
                          properties: {
                            job_uuid: { type: 'string' },
                            action: { type: 'string', enum: ['delete', 'force_delete', 'rotate_token'] },
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
          summary: 'Would this event be accepted now, and to which state? Writes nothing',
          parameters: [uuidParam],
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
      '/jobs/{uuid}/token': {
        post: {
          operationId: 'rotateJobToken',
          summary: 'Rotate the job token (admin token); the old one stops working',
          parameters: [uuidParam, tokenQuery('Admin token')],
          responses: {
            '200': { description: 'The job with its new token', content: json('job') },
            ...errors,
          },
        },
      },
      '/jobs/{uuid}/fsm.svg': {
        get: {
          operationId: 'getJobFsmSvg',
          parameters: [uuidParam],
          responses: { '200': { description: 'SVG', content: { 'image/svg+xml': {} } }, ...errors },
        },
      },
      '/pipelines': {
        post: {
          operationId: 'registerPipeline',
          requestBody: { required: true, content: json('pipeline') },
          responses: {
            '201': { description: 'Registered', headers: location('pipeline') },
            '200': { description: 'Already registered' },
            ...errors,
          },
        },
        get: {
          operationId: 'listPipelines',
          responses: { '200': { description: 'A page of pipelines', headers: linkNext }, ...errors },
        },
      },
      '/pipelines/{uuid}': {
        get: {
          operationId: 'getPipeline',
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
          summary: 'Every subscription (admin), never a secret',
          responses: { '200': { description: '`{subscriptions: [...]}`' }, ...errors },
        },
      },
      '/subscriptions/{id}': {
        get: {
          operationId: 'getSubscription',
          parameters: [subscriptionParam],
          responses: {
            '200': { description: 'The subscription' },
            ...errors,
            '404': problem('No such subscription'),
          },
        },
        patch: {
          operationId: 'updateSubscription',
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
          summary: 'Delete a subscription, its pending notifications and its delivery log',
          parameters: [subscriptionParam],
          responses: { '204': { description: 'Deleted' }, ...errors, '404': problem('No such subscription') },
        },
      },
      '/subscriptions/{id}/deliveries': {
        get: {
          operationId: 'listDeliveries',
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
          responses: { '200': { description: 'The state machine table' }, ...errors },
        },
      },
      '/fsm.svg': {
        get: {
          operationId: 'getFsmSvg',
          responses: { '200': { description: 'SVG', content: { 'image/svg+xml': {} } }, ...errors },
        },
      },
      '/schemas/{name}': {
        get: {
          operationId: 'getSchema',
          parameters: [
            { name: 'name', in: 'path', required: true, schema: { type: 'string', enum: [...schemaNames] } },
          ],
          responses: { '200': { description: 'The JSON Schema' }, '404': problem('No such schema') },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          security: [],
          responses: { '200': { description: 'This document' } },
        },
      },
      '/healthz': {
        get: {
          operationId: 'health',
          security: [],
          responses: { '200': { description: 'The process is up' } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          security: [],
          responses: {
            '200': { description: 'Ready: the database answers and this process may write to it' },
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
          summary: 'Every problem type, as a page for people',
          security: [],
          responses: { '200': { description: 'HTML', content: { 'text/html': {} } } },
        },
      },
      '/problems/{slug}': {
        get: {
          operationId: 'getProblemType',
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
    },
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
          security: [],
          responses: {
            '200': { description: 'Any 2xx: delivered' },
            '410': { description: 'The endpoint is gone: the subscription is disabled' },
          },
        },
      },
    },
  };
}
