import { asciiLower, isPlainObject, normalizeEventName } from '@pipelinejobs/core';
import { issuesSummary, matches, validateEvent } from '@pipelinejobs/schemas';
import type { EventCommand, Refusal } from './command.js';
import {
  MESSAGE_EVENTS_TEXT,
  namesReservedEvent,
  parseEventName,
  reservedEventRefusal,
} from './event-name.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { bodyJobUuid } from './job-uuid.js';
import { redactedData } from './redact-url-secrets.js';
import { isRefusal, refusal } from './refusal.js';
import { agreeing, withUrlFields } from './url-conflict.js';
import { type UrlParameters, urlNamesEvent } from './url-parameters.js';

/**
 * A JSON event message `{uuid, name, token?, data?, event_id?}` (schemas/event.json). The URL
 * parameters fill in what the body leaves out (`uuid`, `event` as the name, `token`, `note` into
 * the data); a field both give must agree. The URL's `status` names no event here, so it is
 * refused rather than ignored.
 */
export const jsonEventForm: InboundForm = {
  name: 'json',
  summary: 'a JSON event {uuid, name, token, data?}',

  recognises({ body, url }) {
    if (!isPlainObject(body) || !(Object.hasOwn(body, 'name') || Object.hasOwn(body, 'uuid'))) return false;
    // When the URL names the event itself, a body that is not an event message is that event's
    // data; but one that carries a token or an event_id is an event message (however malformed),
    // so it is checked as one and a token is never stored as data.
    return (
      !urlNamesEvent(url) ||
      Object.hasOwn(body, 'token') ||
      Object.hasOwn(body, 'event_id') ||
      matches('event', withUrlDefaults(body, url))
    );
  },

  parse(input: FormInput): EventCommand | Refusal {
    const body = input.body as Record<string, unknown>;
    const conflict = urlConflict(body, input.url);
    if (conflict !== undefined) return conflict;
    const message = withUrlDefaults(body, input.url);
    if (typeof message.name === 'string' && namesReservedEvent(message.name))
      return reservedEventRefusal('/name');
    const checked = validateEvent(message);
    if (!checked.ok) {
      return refusal(
        'Invalid event',
        `The JSON event message does not match the event schema: ${issuesSummary(checked.issues)}. Send {uuid: <job UUID 107...>, name: <one of ${MESSAGE_EVENTS_TEXT}>, token, data?: {...}, event_id?}.`,
        checked.issues,
      );
    }
    const { uuid, name, token, data, event_id } = checked.value;
    const event = parseEventName(name, '/name');
    if (isRefusal(event)) return event;
    const jobUuid = bodyJobUuid(uuid);
    if (isRefusal(jobUuid)) return jobUuid;
    const command: EventCommand = { kind: 'event', form: 'json', jobUuid, event };
    const effectiveToken = token ?? input.url.token;
    if (effectiveToken !== undefined) command.token = effectiveToken;
    if (data !== undefined || input.url.note !== undefined) {
      const withNote = withUrlFields(data ?? {}, { note: input.url.note }, '/data');
      if (isRefusal(withNote)) return withNote;
      command.data = redactedData(withNote);
    }
    const key = agreeing(event_id, input.idempotencyKey, '/event_id', 'idempotency-key');
    if (isRefusal(key)) return key;
    if (key !== undefined) command.idempotencyKey = key;
    return command;
  },
};

/**
 * A field the body and the URL both give with different values (the job, the event, the token):
 * refused rather than resolved silently. UUIDs and event names compare in any letter case.
 */
function urlConflict(body: Record<string, unknown>, url: UrlParameters): Refusal | undefined {
  if (url.status !== undefined) {
    return refusal(
      'Status with a JSON event',
      'A JSON event names its event in `name`; the URL parameter status (or state) is for callbacks and URL-parameter events: leave it out, or send the event with ?uuid=&status= and no event message.',
      [{ path: '/url/status', message: '/url/status is not used by a JSON event' }],
    );
  }
  const pairs = [
    [body.uuid, url.uuid, '/uuid', 'uuid', asciiLower],
    [body.name, url.event, '/name', 'event', normalizeEventName],
    [body.token, url.token, '/token', 'token', (v: string) => v],
  ] as const;
  for (const [fromBody, fromUrl, path, name, normal] of pairs) {
    if (typeof fromBody !== 'string') continue;
    const agreed = agreeing(fromBody, fromUrl, path, name, normal);
    if (isRefusal(agreed)) return agreed;
  }
  return undefined;
}

/** The body, with `uuid` and `name` taken from the URL when the body has none. */
function withUrlDefaults(body: Record<string, unknown>, url: UrlParameters): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  if (url.uuid !== undefined) defaults.uuid = url.uuid;
  if (url.event !== undefined) defaults.name = url.event;
  return { ...defaults, ...body };
}
