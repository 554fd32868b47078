import { isPlainObject } from '@pipelinejobs/core';
import type { EventCommand, Refusal } from './command.js';
import { eventForReport, normalStatus } from './event-status.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { urlJobUuid } from './job-uuid.js';
import { redactedData } from './redact-url-secrets.js';
import { isRefusal } from './refusal.js';
import { withUrlFields } from './url-conflict.js';
import { urlNamesEvent } from './url-parameters.js';

/**
 * A URL-parameter event: ?uuid=&event=&token=[&note=], or ?status= (or state) in place of event,
 * mapped through core's status table. Whatever body comes with it is the event's data, never
 * dropped: a JSON object as it is, any other JSON value as {body: value}.
 */
export const urlParametersForm: InboundForm = {
  name: 'params',
  summary: "a POST with ?uuid=&event=&token= (any JSON body becomes the event's data)",

  recognises({ url }) {
    return urlNamesEvent(url);
  },

  parse(input: FormInput): EventCommand | Refusal {
    const jobUuid = urlJobUuid(input.url.uuid, 'The request');
    if (typeof jobUuid !== 'string') return jobUuid;
    const status = input.url.status === undefined ? undefined : normalStatus(input.url.status);
    const event = eventForReport(input.url.event, status);
    if (typeof event !== 'string') return event;

    const command: EventCommand = { kind: 'event', form: 'params', jobUuid, event };
    const data = dataOf(input, status);
    if (isRefusal(data)) return data;
    if (data !== undefined) command.data = redactedData(data);
    if (input.url.token !== undefined) command.token = input.url.token;
    if (input.idempotencyKey !== undefined) command.idempotencyKey = input.idempotencyKey;
    return command;
  },
};

/**
 * The body, the note and the reported status (kept, so an unknown status recorded as an update
 * is not lost); undefined when there is none of them. A body key `status` or `note` that
 * differs from the URL's is a conflict.
 */
function dataOf(input: FormInput, status: string | undefined): Record<string, unknown> | Refusal | undefined {
  const { body, url } = input;
  if (body === undefined && url.note === undefined && status === undefined) return undefined;
  const data: Record<string, unknown> = body === undefined ? {} : isPlainObject(body) ? body : { body };
  return withUrlFields(data, { status, note: url.note }, '');
}
