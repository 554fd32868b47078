import type { InboundCommand } from '@pipelinejobs/adapters';
import {
  type Action,
  adminToken,
  authenticate,
  authorizeAdminAction,
  authorizeEvent,
  generateApiKey,
  generateNonce,
  isRole,
  jobToken,
  type Principal,
  type Role,
  roleAllows,
  rolesAllowing,
} from '@pipelinejobs/auth';
import {
  type EventName,
  isEventName,
  isPlainObject,
  isReservedEvent,
  type JsonExactValue,
  jobUuid,
  normalizeEventName,
  transition,
} from '@pipelinejobs/core';
import { validateCreateJob, validatePipeline } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { asServiceError, ServiceError } from './errors.js';
import { requestFingerprint } from './request-fingerprint.js';
import type { Services } from './services.js';
import { lowerCaseJobUuids } from './uuid-case.js';

/** Request credentials → principal, or a ServiceError saying what to send instead. */
export async function authenticateRequest(
  s: Services,
  request: { authorization?: string | undefined; nonce?: string | undefined; jobUuid?: string | undefined },
): Promise<Principal> {
  const result = await authenticate(request, {
    apiKeys: {
      findApiKeyByHash: async (hash) => {
        const record = await storage.findApiKeyByHash(s.db, hash);
        return record && isRole(record.role) ? { ...record, role: record.role } : undefined;
      },
    },
    nonces: {
      consumeNonce: async (hash, job, now) => {
        const used = await storage.consumeNonce(s.db, hash, job, now);
        return used.ok ? { ...used, role: isRole(used.role) ? used.role : 'reader' } : used;
      },
    },
    jwt: s.jwt,
    now: s.clock(),
  }).catch((error: unknown) => {
    throw asServiceError(error);
  });
  if (!result.ok) throw new ServiceError(result.refusal, result.message);
  return result.principal;
}

export function requireRole(principal: Principal, action: Action, doing: string): void {
  if (!roleAllows(principal.role, action)) {
    throw new ServiceError(
      'forbidden',
      `Role '${principal.role}' cannot ${doing}; use a credential with role ${rolesAllowing(action).join(', ')}`,
    );
  }
}

function invalid(title: string, issues: { path: string; message: string }[]): never {
  throw new ServiceError('invalid', `${title}: ${issues.map((i) => i.message).join('; ')}`, {
    errors: issues,
  });
}

export async function registerPipeline(s: Services, principal: Principal, body: unknown) {
  requireRole(principal, 'create', 'register pipelines');
  const checked = validatePipeline(body);
  if (!checked.ok) invalid('The pipeline is not valid', checked.issues);
  return storage.registerPipeline(s.db, checked.value as unknown as storage.PipelineInput);
}

/** The job token of a job: what its creator passes to the platforms that report on it. */
export function tokenOf(s: Services, job: { uuid: string; token_version: number }): string {
  return jobToken(s.secret, job.uuid, job.token_version);
}

/** The actor recorded for a principal: its kind and id, never its credential. */
export function actorOf(principal: Principal): storage.Actor {
  return { kind: principal.kind, id: principal.id };
}

/** Whether the principal created the job (same kind and id), for who may see its token again. */
function isCreator(principal: Principal, job: storage.JobDocument): boolean {
  return job.created_by?.kind === principal.kind && job.created_by.id === principal.id;
}

const TOKEN_WITHHELD =
  "This job already exists and was created by another principal: its token is returned only to its creator or an admin. Ask the job's creator for it, or an admin (who gets it by creating the same job again, or a new one by rotating it: POST /jobs/<uuid>/token, `pipelinejobs jobs rotate-token`)";

/**
 * Creates a job, or returns the existing one with the same identity. Its token goes to whoever
 * created it (201), and again on a re-create (200) only to that same principal or an admin;
 * anyone else gets the job with `token_withheld` saying how to obtain the token. `exact`, the
 * exact view of the one parse of the request (core's parseJson) when the caller has it, makes the
 * identity exact for numbers JSON.parse cannot tell apart (1.0 vs 1); the stored document is the
 * plain view of that parse.
 */
export async function createJob(
  s: Services,
  principal: Principal,
  body: unknown,
  options: { exact?: JsonExactValue | undefined } = {},
) {
  requireRole(principal, 'create', 'create jobs');
  const checked = validateCreateJob(body);
  if (!checked.ok) invalid('The job is not valid', checked.issues);
  const input = lowerCaseJobUuids(checked.value);
  // Only data can hold numbers; the uuids come from the validated (lower-cased) input.
  const exact = isPlainObject(options.exact) ? options.exact : undefined;
  const uuid = exact
    ? jobUuid({ pipeline_uuid: input.pipeline_uuid, child_of: input.child_of, data: exact.data })
    : undefined;
  const { job, created } = await storage.createJob(s.db, input as storage.CreateJobInput, {
    uuid,
    creator: actorOf(principal),
  });
  if (created || principal.role === 'admin' || isCreator(principal, job)) {
    return { job, created, token: tokenOf(s, job) };
  }
  return { job, created, token: undefined, tokenWithheld: TOKEN_WITHHELD };
}

/** An event from any caller: an inbound HTTP form, or the CLI. */
export interface EventRequest {
  jobUuid: string;
  event: string;
  token?: string | undefined;
  data?: Record<string, unknown> | null | undefined;
  idempotencyKey?: string | undefined;
  source: storage.EventSource;
}

/**
 * The check of an event against the job as read: the same for sending it and for a dry run, so
 * the two cannot disagree. Throws the refusal.
 */
function eventAuthorizer(
  s: Services,
  principal: Principal,
  command: { event: string; token?: string | undefined },
) {
  return (job: { uuid: string; tokenVersion: number }): void => {
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
  };
}

/** Applies an event with the same locked transition and authorisation for every caller. */
export async function sendEvent(s: Services, principal: Principal, command: EventRequest) {
  requireRole(principal, 'report', 'report events');
  return storage.applyEvent(
    s.db,
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
}

/** The event a dry run asks about: the same fields an event request has, less its data. */
export interface DryRunRequest {
  jobUuid: string;
  event: string;
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
  const event = normalizeEventName(request.event);
  let from: string | null = null;
  try {
    if (isReservedEvent(event)) {
      throw new ServiceError(
        'invalid',
        `The '${event}' event is written when a job is created (POST /jobs, or \`pipelinejobs jobs create\`)`,
        { event },
      );
    }
    if (!isEventName(event)) {
      throw new ServiceError(
        'invalid',
        `Unknown event '${event.slice(0, 64)}'; see GET /fsm for the events`,
        {
          event: event.slice(0, 64),
        },
      );
    }
    requireRole(principal, 'report', 'report events');
    const job = await storage.getJob(s.db, request.jobUuid);
    from = job.state;
    eventAuthorizer(s, principal, request)({ uuid: job.uuid, tokenVersion: job.token_version });
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
    return { accepted: false, event, from, refusal };
  }
}

function requireAdminToken(
  s: Services,
  principal: Principal,
  action: 'delete' | 'rotate_token',
  uuid: string,
  token: unknown,
) {
  const decision = authorizeAdminAction({
    principal,
    action,
    jobUuid: uuid,
    token,
    admin: s.admin,
    now: s.clock(),
  });
  if (!decision.ok) throw new ServiceError('forbidden', decision.message, { uuid });
}

export async function deleteJob(
  s: Services,
  principal: Principal,
  command: { jobUuid: string; force: boolean; token?: string | undefined },
) {
  requireAdminToken(s, principal, 'delete', command.jobUuid, command.token);
  return storage.deleteJob(s.db, command.jobUuid, { force: command.force, actor: actorOf(principal) });
}

export async function rotateJobToken(s: Services, principal: Principal, uuid: string, token: unknown) {
  requireAdminToken(s, principal, 'rotate_token', uuid, token);
  const job = await storage.rotateJobToken(s.db, uuid, actorOf(principal));
  return { job, token: tokenOf(s, job) };
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

export function currentAdminToken(s: Services): { token: string } {
  return { token: adminToken({ ...s.admin, now: s.clock() }) };
}

export async function createApiKey(s: Services, options: { role: string; label: string }) {
  if (!isRole(options.role)) {
    throw new ServiceError(
      'invalid',
      `Unknown role '${options.role}'; roles are: reader, reporter, agent, admin`,
    );
  }
  const generated = generateApiKey();
  const record = await storage.insertApiKey(s.db, {
    hash: generated.hash,
    prefix: generated.prefix,
    role: options.role,
    label: options.label,
  });
  return { key: generated.key, record };
}

/** On a database with no active API key, creates the first admin key (printed once by the caller). */
export async function ensureFirstAdminKey(s: Services): Promise<string | undefined> {
  if ((await storage.countActiveApiKeys(s.db)) > 0) return undefined;
  const { key } = await createApiKey(s, { role: 'admin', label: 'first admin key' });
  return key;
}

export async function createNonce(
  s: Services,
  options: {
    role?: Role;
    maxUses?: number | null;
    expiresInSeconds?: number | null;
    jobUuid?: string | null;
    label?: string;
  },
) {
  const generated = generateNonce();
  const now = s.clock();
  const record = await storage.insertNonce(s.db, {
    hash: generated.hash,
    prefix: generated.prefix,
    role: options.role ?? 'reporter',
    label: options.label ?? '',
    maxUses: options.maxUses ?? null,
    expiresAt: options.expiresInSeconds ? new Date(now.getTime() + options.expiresInSeconds * 1000) : null,
    jobUuid: options.jobUuid ?? null,
  });
  return { nonce: generated.nonce, record };
}
