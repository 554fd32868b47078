import { generateWebhookSecret, type Principal, sealSecret } from '@pipelinejobs/auth';
import { parseInstant } from '@pipelinejobs/core';
import { type SubscriptionRequest, validateSubscription } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import { requireRole } from './authentication.js';
import { DATABASE } from './database-key.js';
import { invalidDocument, ServiceError } from './errors.js';
import { jobUuidInput, pipelineUuidInput } from './parse-input.js';
import type { Services } from './services.js';
import { targetUrlInput } from './webhook-target.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A subscription id as a caller gives it (a path parameter, a CLI argument). */
export function subscriptionIdInput(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new ServiceError(
      'invalid',
      `'${String(value).slice(0, 64)}' is not a subscription id (a UUID, as POST /subscriptions returned)`,
    );
  }
  return value.toLowerCase();
}

function subscriptionRequest(body: unknown): SubscriptionRequest {
  const checked = validateSubscription(body);
  if (!checked.ok) invalidDocument('The subscription is not valid', checked.issues);
  return checked.value;
}

/** The uuids lower case, as the Manager stores them. */
function filterOf(filter: SubscriptionRequest['filter']): storage.SubscriptionFilter {
  if (!filter) return {};
  return {
    ...(filter.pipeline_uuid ? { pipeline_uuid: pipelineUuidInput(filter.pipeline_uuid) } : {}),
    ...(filter.job_uuid ? { job_uuid: jobUuidInput(filter.job_uuid) } : {}),
    ...(filter.states ? { states: filter.states } : {}),
    ...(filter.events ? { events: filter.events } : {}),
  };
}

/** A new subscription; its signing secret is in the answer, once (only a sealed copy is kept). */
export async function createSubscription(s: Services, principal: Principal, body: unknown) {
  requireRole(principal, 'admin', 'create subscriptions');
  const request = subscriptionRequest(body);
  if (request.url === undefined) {
    throw new ServiceError('invalid', 'A subscription needs a `url`: where to POST the notifications');
  }
  for (const field of ['enabled', 'rotate_secret'] as const) {
    if (request[field] !== undefined) {
      throw new ServiceError(
        'invalid',
        `\`${field}\` is for PATCH /subscriptions/:id, not for a new subscription`,
      );
    }
  }
  const secret = generateWebhookSecret();
  const subscription = await storage.insertSubscription(
    s[DATABASE],
    {
      url: targetUrlInput(request.url, s.webhooks.allowPrivate),
      description: request.description ?? '',
      filter: filterOf(request.filter),
      sealedSecret: sealSecret(s.secret, secret),
    },
    actorOf(principal),
  );
  return { subscription, secret };
}

export async function listSubscriptions(s: Services, principal: Principal) {
  requireRole(principal, 'admin', 'list subscriptions');
  return storage.selectSubscriptions(s[DATABASE]);
}

export async function getSubscription(s: Services, principal: Principal, id: string) {
  requireRole(principal, 'admin', 'read subscriptions');
  return storage.selectSubscription(s[DATABASE], id);
}

/**
 * Changes a subscription: target, description, filter (replaced whole), enabled; `rotate_secret`
 * issues a new secret (in the answer, once) and keeps the old one valid, and signed with too,
 * for the grace period.
 */
export async function updateSubscription(s: Services, principal: Principal, id: string, body: unknown) {
  requireRole(principal, 'admin', 'change subscriptions');
  const request = subscriptionRequest(body);
  const secret = request.rotate_secret ? generateWebhookSecret() : undefined;
  const subscription = await storage.updateSubscription(s[DATABASE], id, {
    ...(request.url === undefined ? {} : { url: targetUrlInput(request.url, s.webhooks.allowPrivate) }),
    ...(request.description === undefined ? {} : { description: request.description }),
    ...(request.filter === undefined ? {} : { filter: filterOf(request.filter) }),
    ...(request.enabled === undefined
      ? {}
      : { enabled: request.enabled, disabledReason: `disabled by ${principal.kind} ${principal.id}` }),
    ...(secret === undefined
      ? {}
      : {
          rotate: {
            sealedSecret: sealSecret(s.secret, secret),
            previousUntil: new Date(s.clock().getTime() + s.webhooks.secretGraceMs),
          },
        }),
  });
  return { subscription, ...(secret === undefined ? {} : { secret }) };
}

export async function deleteSubscription(s: Services, principal: Principal, id: string): Promise<void> {
  requireRole(principal, 'admin', 'delete subscriptions');
  await storage.deleteSubscription(s[DATABASE], id);
}

/** The delivery log of a subscription, newest first; `before` pages on (an attempt id). */
export async function listDeliveries(
  s: Services,
  principal: Principal,
  id: string,
  query: { limit?: unknown; before?: unknown },
) {
  requireRole(principal, 'admin', 'read delivery logs');
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new ServiceError(
      'invalid',
      `limit must be a whole number from 1 to 1000, got '${String(query.limit).slice(0, 20)}'`,
    );
  }
  const before = query.before === undefined ? undefined : Number(query.before);
  if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) {
    throw new ServiceError(
      'invalid',
      `before must be an attempt id (a positive whole number), got '${String(query.before).slice(0, 20)}'`,
    );
  }
  await storage.selectSubscription(s[DATABASE], id);
  const deliveries = await storage.selectAttempts(s[DATABASE], id, { limit, before });
  const last = deliveries.at(-1);
  return { deliveries, next: deliveries.length === limit && last ? String(last.id) : null };
}

/**
 * Delivers again, to this subscription, every transition since `since` (an ISO 8601 time) that
 * its filter wants; returns how many were queued.
 */
export async function replaySubscription(s: Services, principal: Principal, id: string, body: unknown) {
  requireRole(principal, 'admin', 'replay notifications');
  const since = (body as { since?: unknown } | undefined)?.since;
  const instant = typeof since === 'string' ? parseInstant(since) : undefined;
  if (instant === undefined) {
    throw new ServiceError(
      'invalid',
      'A replay needs `since`: an ISO 8601 time with its zone (2026-11-20T15:00:00Z); every transition from then on is delivered again',
    );
  }
  await storage.selectSubscription(s[DATABASE], id);
  const queued = await storage.replayNotifications(s[DATABASE], id, instant);
  if (queued > 0) s.outbox.requeued();
  return { queued };
}

/** Delivers one history entry (`job_uuid`, `seq`) to the subscription again. */
export async function redeliverNotification(s: Services, principal: Principal, id: string, body: unknown) {
  requireRole(principal, 'admin', 'redeliver notifications');
  const given = (body ?? {}) as { job_uuid?: unknown; seq?: unknown };
  const jobUuid = jobUuidInput(given.job_uuid, 'job UUID (job_uuid)');
  const seq = given.seq;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) {
    throw new ServiceError(
      'invalid',
      "A redelivery needs `seq`: the history entry's place in the job's history, from 1",
    );
  }
  await storage.selectSubscription(s[DATABASE], id);
  await storage.redeliverNotification(s[DATABASE], id, { jobUuid, seq });
  s.outbox.requeued();
  return { queued: 1 };
}
