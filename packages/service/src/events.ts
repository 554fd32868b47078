import type { InboundCommand } from '@pipelinejobs/adapters';
import { authorizeEvent, jobToken, type Principal } from '@pipelinejobs/auth';
import {
  type EventName,
  type JobUuid,
  type MessageEventName,
  normalizeEventName,
  transition,
} from '@pipelinejobs/core';
import * as storage from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import { requireRole } from './authentication.js';
import { refuseCredentialInData } from './credential-in-data.js';
import { DATABASE } from './database-key.js';
import { asServiceError, ServiceError } from './errors.js';
import { deleteJob } from './jobs.js';
import { eventInput } from './parse-input.js';
import { requestFingerprint } from './request-fingerprint.js';
import type { Services } from './services.js';

/** An event from any caller: an inbound HTTP form, or the CLI. */
export interface EventRequest {
  jobUuid: JobUuid;
  event: MessageEventName;
  token?: string | undefined;
  data?: Record<string, unknown> | null | undefined;
  idempotencyKey?: string | undefined;
  source: storage.EventSource;
}

/**
 * The check of an event against the job as read: the same for sending it and for a dry run, so
 * the two cannot disagree. Synchronous (storage calls it on the token version its statement then
 * checks). Throws the refusal. Once the credentials pass, data that holds the request's token or
 * the job's current token (or anything shaped like an API key or nonce) is refused: the history
 * would give it to every reader.
 */
function eventAuthorizer(
  s: Services,
  principal: Principal,
  command: { event: MessageEventName; token?: string | undefined; data?: unknown },
) {
  return (job: { uuid: JobUuid; tokenVersion: number }): void => {
    const decision = authorizeEvent({
      principal,
      event: command.event,
      jobUuid: job.uuid,
      tokenVersion: job.tokenVersion,
      token: command.token,
      secret: s.secret,
      admin: s.admin,
      now: s.clock(),
    });
    if (!decision.ok) throw new ServiceError('forbidden', decision.message, { uuid: job.uuid });
    // Most events carry no data: the job's token is minted (an HMAC) only to look for it in some.
    if (command.data === undefined) return;
    const tokens = [jobToken(s.secret, job.uuid, job.tokenVersion)];
    if (command.token !== undefined) tokens.push(command.token);
    refuseCredentialInData(command.data, '/data', tokens);
  };
}

/** Applies an event with the same locked transition and authorisation for every caller. */
export async function sendEvent(s: Services, principal: Principal, command: EventRequest) {
  requireRole(principal, 'report', 'report events');
  const applied = await storage.applyEvent(
    s[DATABASE],
    {
      jobUuid: command.jobUuid,
      name: command.event,
      data: command.data,
      source: command.source,
      actor: actorOf(principal),
      idempotencyKey: command.idempotencyKey,
      // Only a keyed request is ever compared with another, so only it is fingerprinted.
      fingerprint:
        command.idempotencyKey === undefined
          ? undefined
          : requestFingerprint({ form: command.source, event: command.event, data: command.data ?? null }),
    },
    eventAuthorizer(s, principal, command),
  );
  if (!applied.replayed) s.outbox.written(applied.queued);
  return applied;
}

/** The event a dry run asks about, as the caller named it, with the token sending would carry. */
export interface DryRunRequest {
  jobUuid: JobUuid;
  event: string;
  /** Where the event was named: a body field (`/name`, strict as a JSON event) or `/event` (a URL's). */
  where?: '/name' | '/event';
  token?: string | undefined;
}

export type DryRunResult =
  | { accepted: true; event: EventName; from: string; to: string }
  | { accepted: false; event: string; from: string | null; refusal: ServiceError };

/**
 * Would sending the event with these credentials be accepted now, and to which state? Runs the
 * same checks in the same order as sending (reserved and unknown names, the role, the job, the
 * token, the state machine) and writes nothing; a refusal carries the very error sending would
 * raise, so an app can answer it with the same status and detail.
 */
export async function dryRunEvent(
  s: Services,
  principal: Principal,
  request: DryRunRequest,
): Promise<DryRunResult> {
  let named = normalizeEventName(request.event).slice(0, 64);
  let from: string | null = null;
  try {
    const event = eventInput(request.event, request.where ?? '/name');
    named = event;
    requireRole(principal, 'report', 'report events');
    const job = await storage.selectJob(s[DATABASE], request.jobUuid);
    from = job.state;
    eventAuthorizer(s, principal, { event, token: request.token })({
      uuid: request.jobUuid,
      tokenVersion: job.token_version,
    });
    const result = transition(job.state, event);
    if (!result.ok) {
      throw new ServiceError('not_allowed', result.message, {
        uuid: job.uuid,
        state: job.state,
        event,
        allowed: result.allowed,
      });
    }
    return { accepted: true, event: result.event, from: result.from, to: result.to };
  } catch (error) {
    const refusal = asServiceError(error);
    if (refusal.code === 'unavailable' || refusal.code === 'internal') throw refusal;
    return { accepted: false, event: named, from, refusal };
  }
}

/** What an inbound message asks for: an event or a delete action. */
export async function handleInbound(s: Services, principal: Principal, command: InboundCommand) {
  if (command.kind === 'delete')
    return { kind: 'delete' as const, result: await deleteJob(s, principal, command) };
  return {
    kind: 'event' as const,
    result: await sendEvent(s, principal, { ...command, source: command.form }),
  };
}
