import { isPlainObject } from '@pipelinejobs/core';
import { issuesSummary, matches, validateAgaveJobCallback } from '@pipelinejobs/schemas';
import type { EventCommand, Refusal } from './command.js';
import { eventForReport, normalStatus } from './event-status.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { urlJobUuid } from './job-uuid.js';
import { redactedData } from './redact-url-secrets.js';
import { isRefusal, refusal } from './refusal.js';
import { withUrlFields } from './url-conflict.js';
import { urlNamesEvent } from './url-parameters.js';

/** Agave bookkeeping the original dropped before storing the record (docs/reference.md#agave-v2-job-callback). */
const DROPPED_KEYS: ReadonlySet<string> = new Set(['_links', 'retries', 'localId']);

/**
 * An Agave v2 job callback: the Agave job record as the body, the job and token in the URL the
 * notification was registered with (?uuid=&token=[&status=${JOB_STATUS}]). A URL status must
 * equal the record's: the original's branches disagreed on which one wins, so neither is chosen.
 */
export const agaveCallbackForm: InboundForm = {
  name: 'agave',
  summary: 'an Agave job callback (the job record) with ?uuid=&token=[&status=]',

  recognises({ body, url }) {
    if (!isPlainObject(body) || !Object.hasOwn(body, 'appId') || !Object.hasOwn(body, 'status')) return false;
    // When the URL names the event itself, a body that is not an Agave record is that event's data.
    return !urlNamesEvent(url) || matches('agave-job-callback', body);
  },

  parse(input: FormInput): EventCommand | Refusal {
    const checked = validateAgaveJobCallback(input.body);
    if (!checked.ok) {
      return refusal(
        'Invalid Agave job callback',
        `The body looks like an Agave job record but does not match its schema: ${issuesSummary(checked.issues)}. Send the Agave job record unchanged, with ?uuid=&token= in the notification URL.`,
        checked.issues,
      );
    }
    const jobUuid = urlJobUuid(input.url.uuid, 'An Agave job callback');
    if (typeof jobUuid !== 'string') return jobUuid;
    const status = normalStatus(checked.value.status);
    const event = eventForReport(input.url.event, status);
    if (typeof event !== 'string') return event;

    const record: Record<string, unknown> = Object.fromEntries(
      Object.entries(checked.value).filter(([key]) => !DROPPED_KEYS.has(key)),
    );
    // The URL's status (Agave fills ${JOB_STATUS} with the record's) and note must agree with
    // the record's own fields when both are given.
    const data = withUrlFields(record, { status: input.url.status, note: input.url.note }, '');
    if (isRefusal(data)) return data;
    data.status = status;
    const command: EventCommand = { kind: 'event', form: 'agave', jobUuid, event, data: redactedData(data) };
    if (input.url.token !== undefined) command.token = input.url.token;
    if (input.idempotencyKey !== undefined) command.idempotencyKey = input.idempotencyKey;
    return command;
  },
};
