import { isPlainObject, JsonInputError, parseJson } from '@pipelinejobs/core';
import {
  issuesSummary,
  type TapisJobNotification,
  validateTapisJobNotification,
} from '@pipelinejobs/schemas';
import type { EventCommand, Refusal } from './command.js';
import { eventForReport, normalStatus } from './event-status.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { urlJobUuid } from './job-uuid.js';
import { redactedData } from './redact-url-secrets.js';
import { isRefusal, refusal } from './refusal.js';
import { withUrlFields } from './url-conflict.js';

/** Only this category reports a status in the last segment of `event.type` (jobs.JOB_NEW_STATUS.RUNNING). */
const STATUS_CATEGORY = 'JOB_NEW_STATUS';

/**
 * A Tapis v3 job notification (docs/reference.md#tapis-v3-job-notification): the body Tapis Notifications posts to a webhook. The job
 * and token come from the delivery URL the subscription was given (?uuid=&token=), never from the
 * body's `deliveryTarget`, which repeats that URL and is not kept.
 */
export const tapisNotificationForm: InboundForm = {
  name: 'tapis',
  summary: 'a Tapis v3 job notification, with ?uuid=&token= in its delivery URL',

  // The shape alone (`eventUuid` and an object `event`: no other form has them), so a notification
  // of another Tapis service, or one missing a field such as `deliveryTarget`, is refused by the
  // schema with a readable issue naming it instead of read as a JSON event (its `uuid` is the
  // notification's, which then "disagreed" with the URL's job).
  recognises({ body }) {
    return isPlainObject(body) && Object.hasOwn(body, 'eventUuid') && isPlainObject(body.event);
  },

  parse(input: FormInput): EventCommand | Refusal {
    const checked = validateTapisJobNotification(input.body);
    if (!checked.ok) {
      return refusal(
        'Invalid Tapis notification',
        `The body looks like a Tapis v3 job notification but does not match its schema: ${issuesSummary(checked.issues)}. Point the subscription's WEBHOOK delivery at this URL unchanged.`,
        checked.issues,
      );
    }
    const notification = checked.value;
    const jobUuid = urlJobUuid(input.url.uuid, 'A Tapis notification');
    if (typeof jobUuid !== 'string') return jobUuid;
    const parsed = parseEventData(notification.event.data);
    if (!parsed.ok) return parsed.refusal;
    const details = parsed.value;
    const status = statusOf(notification, details);
    const event = eventForReport(input.url.event, status);
    if (typeof event !== 'string') return event;
    if (Object.hasOwn(details, 'tapis')) {
      return refusal(
        'Invalid Tapis notification',
        '/event/data holds a `tapis` key, which the Manager writes itself (where the event came from): rename it.',
        [{ path: '/event/data/tapis', message: '/event/data/tapis is reserved' }],
      );
    }
    // The job status the notification reports, and the URL's note, must agree with the data's own
    // `status` and `note` (and a URL status with the notification's) when both are given.
    const reported = withUrlFields(
      { ...(status === undefined ? {} : { status }) },
      { status: input.url.status },
      '',
    );
    if (isRefusal(reported)) return reported;
    const withUrl = withUrlFields(details, { status, note: input.url.note }, '/event/data');
    if (isRefusal(withUrl)) return withUrl;
    // { status, ...event data, note, tapis }.
    const data: Record<string, unknown> = { ...(status === undefined ? {} : { status }), ...withUrl };
    if (status !== undefined) data.status = status;
    data.tapis = tapisFields(notification);
    const command: EventCommand = {
      kind: 'event',
      form: 'tapis',
      jobUuid,
      event,
      data: redactedData(data),
      // eventUuid, not the notification uuid: two subscriptions deliver one event with two uuids.
      idempotencyKey: input.idempotencyKey ?? notification.eventUuid,
    };
    if (input.url.token !== undefined) command.token = input.url.token;
    return command;
  },
};

/**
 * `event.data` is a JSON text: parse it a second time, as strictly as a body (duplicate keys and
 * numbers that would not be stored as sent are refused, with paths under /event/data).
 */
function parseEventData(
  text: string | null,
): { ok: true; value: Record<string, unknown> } | { ok: false; refusal: Refusal } {
  if (text === null) return { ok: true, value: {} };
  let parsed: unknown;
  try {
    parsed = parseJson(text).value;
  } catch (error) {
    if (error instanceof JsonInputError && error.code !== 'syntax') {
      return {
        ok: false,
        refusal: refusal(
          'Invalid Tapis notification',
          `/event/data holds JSON that cannot be stored as sent: ${error.message}`,
          error.issues.map((issue) => ({
            path: `/event/data${issue.path}`,
            message: `In /event/data: ${issue.message}`,
          })),
        ),
      };
    }
    parsed = undefined;
  }
  if (!isPlainObject(parsed)) {
    return {
      ok: false,
      refusal: refusal(
        'Invalid Tapis notification',
        '/event/data is not JSON text of an object: Tapis job events carry a JSON object as a string (or null). Send event.data as the JSON-encoded object.',
        [{ path: '/event/data', message: '/event/data must be JSON text of an object, or null' }],
      ),
    };
  }
  return { ok: true, value: parsed };
}

/** `newJobStatus` from the event data, else the status a JOB_NEW_STATUS type names. */
function statusOf(notification: TapisJobNotification, details: Record<string, unknown>): string | undefined {
  const reported = details.newJobStatus;
  if (typeof reported === 'string' && reported.trim() !== '') return normalStatus(reported);
  const [, category, ...rest] = notification.event.type.split('.');
  const last = rest.at(-1);
  if (category === STATUS_CATEGORY && last !== undefined && last.trim() !== '') return normalStatus(last);
  return undefined;
}

/** Where the event came from, for the history: never the deliveryTarget (it holds the token). */
function tapisFields(notification: TapisJobNotification): Record<string, unknown> {
  const { event } = notification;
  const fields: Record<string, unknown> = {
    subject: event.subject,
    type: event.type,
    seriesId: event.seriesId,
    seriesSeqCount: event.seriesSeqCount,
    timestamp: event.timestamp,
    tenant: event.tenant ?? notification.tenant,
    eventUuid: notification.eventUuid,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
