import { isPlainObject, isReservedEvent, normalizeEventName } from '@pipelinejobs/core';
import { issuesSummary, matches, validateEvent } from '@pipelinejobs/schemas';
import type { EventCommand, Refusal } from './command.js';
import { MESSAGE_EVENTS_TEXT, reservedEventRefusal } from './event-name.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { redactedData } from './redact-url-secrets.js';
import { refusal } from './refusal.js';
import { type UrlParameters, urlNamesEvent } from './url-parameters.js';

/**
 * A JSON event message `{uuid, name, token?, data?, event_id?}` (schemas/event.json). As in the
 * original, body values win over the URL parameters, which fill in what the body leaves out
 * (`uuid`, `event` as the name, `token`, `note` as the data).
 */
export const jsonEventForm: InboundForm = {
  name: 'json',
  summary: 'a JSON event {uuid, name, token, data?}',

  recognises({ body, url }) {
    if (!isPlainObject(body) || !(Object.hasOwn(body, 'name') || Object.hasOwn(body, 'uuid'))) return false;
    // When the URL names the event itself, a body that is not an event message is that event's data.
    return !urlNamesEvent(url) || matches('event', withUrlDefaults(body, url));
  },

  parse(input: FormInput): EventCommand | Refusal {
    const message = withUrlDefaults(input.body as Record<string, unknown>, input.url);
    if (typeof message.name === 'string' && isReservedEvent(message.name))
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
    const command: EventCommand = {
      kind: 'event',
      form: 'json',
      jobUuid: uuid,
      event: normalizeEventName(name),
    };
    const effectiveToken = token ?? input.url.token;
    if (effectiveToken !== undefined) command.token = effectiveToken;
    if (data !== undefined) command.data = redactedData(data);
    else if (input.url.note !== undefined) command.data = redactedData({ note: input.url.note });
    const key = input.idempotencyKey ?? event_id;
    if (key !== undefined) command.idempotencyKey = key;
    return command;
  },
};

/** The body, with `uuid` and `name` taken from the URL when the body has none. */
function withUrlDefaults(body: Record<string, unknown>, url: UrlParameters): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  if (url.uuid !== undefined) defaults.uuid = url.uuid;
  if (url.event !== undefined) defaults.name = url.event;
  return { ...defaults, ...body };
}
