import { authorizeAdminAction, type Principal } from '@pipelinejobs/auth';
import { applyBudgets, type BudgetChanges, type JobUuid, parseBudgets } from '@pipelinejobs/core';
import { validateDeadlines } from '@pipelinejobs/schemas';
import * as storage from '@pipelinejobs/storage';
import { actorOf } from './actor.js';
import { requireRole } from './authentication.js';
import { systemPrincipal } from './credentials.js';
import { DATABASE } from './database-key.js';
import { invalidDocument, ServiceError } from './errors.js';
import type { Services } from './services.js';

/** Who fails a job past its deadline, as its history records it: `system`/`deadline`. */
const DEADLINE_PRINCIPAL = systemPrincipal('deadline');

/** Jobs one sweep handles at most; more due are handled by the next sweep, at once. */
const SWEEP_BATCH = 100;

/**
 * Declared budgets (a document's `deadlines`, already accepted by its schema) as typed values,
 * refused with every issue when a duration is zero or longer than a year. `at` is the pointer
 * of the budgets in the document.
 */
export function budgetsInput(declared: unknown, at: string, title: string): BudgetChanges | undefined {
  if (declared === undefined) return undefined;
  const parsed = parseBudgets(declared, at);
  if (!parsed.ok) invalidDocument(title, parsed.issues);
  return parsed.value;
}

/** The `deadlines` member of a request body, whatever it holds; undefined when there is none. */
export function declaredBudgets(body: unknown): unknown {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as { deadlines?: unknown }).deadlines
    : undefined;
}

/**
 * A document's schema issues, with those about its budgets (at `at`) said by core's parser
 * instead when it has something to say: it names a state that does not exist as such, and says
 * which part of a budget is wrong, where the schema can only list the forms a budget may take.
 */
export function withBudgetIssues<T extends { path: string; message: string }>(
  issues: readonly T[],
  declared: unknown,
  at: string,
): { path: string; message: string }[] {
  if (declared === undefined) return [...issues];
  const parsed = parseBudgets(declared, at);
  if (parsed.ok) return [...issues];
  const elsewhere = issues.filter((issue) => issue.path !== at && !issue.path.startsWith(`${at}/`));
  return [...elsewhere, ...parsed.issues];
}

/**
 * Replaces a job's time budgets (admin): the body is schemas/deadlines.json, what it names is
 * what the job has from now on (a state left out or null has none). The current state's deadline
 * is recomputed from when the job entered it. Recorded in the job's audit log. Needs an admin token
 * besides the admin role, as deleting a job does: a budget already used up fails the job.
 */
export async function setJobDeadlines(
  s: Services,
  principal: Principal,
  uuid: JobUuid,
  body: unknown,
  token?: unknown,
) {
  requireRole(principal, 'admin', "change a job's deadlines");
  const decision = authorizeAdminAction({
    principal,
    action: 'set_deadlines',
    jobUuid: uuid,
    token,
    admin: s.admin,
    now: s.clock(),
  });
  if (!decision.ok) throw new ServiceError('forbidden', decision.message, { uuid });
  const title = 'The deadlines are not valid';
  const checked = validateDeadlines(body);
  if (!checked.ok) invalidDocument(title, withBudgetIssues(checked.issues, body, ''));
  const changes = budgetsInput(checked.value, '', title) ?? {};
  return storage.updateJobDeadlines(s[DATABASE], uuid, applyBudgets({}, changes), actorOf(principal));
}

/**
 * How far the services' clock is ahead of this process's real one: 0 in a Manager, the time a test
 * moved its clock on by. Deadlines are decided by the database's clock (the one that stamped them
 * when the job entered its state) moved on by this, never by the Manager's own: a Manager whose
 * clock is off fails no job early or late, and all Managers of a database agree.
 */
export function clockAheadMs(s: Services): number {
  return s.clock().getTime() - Date.now();
}

/** Milliseconds as the fail event's data says them: `1d 1h 3m 10s`, `2h`, `350ms`. */
function spent(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const parts: string[] = [];
  let seconds = Math.floor(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}

/** The data of a job's `fail` written by the sweeper: which state, its budget, the time spent. */
function failData(job: storage.DueJob, now: Date): Record<string, unknown> {
  const spentMs = now.getTime() - Date.parse(job.since);
  return {
    reason: `${job.state} for ${spent(spentMs)}, over its time budget of ${job.budget}`,
    state: job.state,
    budget: job.budget,
    since: job.since,
    deadline: job.deadline,
    spent_ms: spentMs,
  };
}

export interface SweeperHooks {
  /** After a sweep that found something: the jobs failed and those notified. */
  swept?: (result: storage.SweepResult) => void;
  /** A sweep that failed (the database away): the sweeper tries again at the next interval. */
  failed?: (error: unknown) => void;
  /** Each statement a sweep sends (a test counts them). */
  roundTrip?: (statement: 'claim' | 'lock' | 'transition') => void;
}

export interface DeadlineSweeper {
  /** Sweeps now (besides the interval); resolves when that sweep, and any it ran into, ended. */
  sweep(): Promise<storage.SweepResult>;
  /** Stops sweeping and waits for a sweep in flight. */
  stop(): Promise<void>;
}

/**
 * Starts this process's deadline sweeper: every `intervalMs` it claims the jobs whose deadline
 * passed by the database's clock (see clockAheadMs) and fails them, or queues the
 * overdue notifications of notify-only budgets (storage's sweepDeadlines: FOR UPDATE SKIP LOCKED,
 * so any number of Managers sweep one database and a job is failed once). A sweep that finds a
 * full batch goes on at once. Tells `s.outbox` when it failed a job or queued notifications: the
 * event streams wake for the fails, the dispatcher only when something was queued.
 */
export function startDeadlineSweeper(
  s: Services,
  options: { intervalMs: number; batch?: number },
  hooks: SweeperHooks = {},
): DeadlineSweeper {
  const db = s[DATABASE];
  const batch = options.batch ?? SWEEP_BATCH;
  let stopped = false;
  let running: Promise<storage.SweepResult> | undefined;

  const once = async (): Promise<storage.SweepResult> => {
    const total: storage.SweepResult = { failed: [], notified: [], queued: false };
    for (;;) {
      const result = await storage.sweepDeadlines(db, {
        aheadMs: clockAheadMs(s),
        limit: batch,
        actor: actorOf(DEADLINE_PRINCIPAL),
        failData,
        ...(hooks.roundTrip ? { roundTrip: hooks.roundTrip } : {}),
      });
      total.failed.push(...result.failed);
      total.notified.push(...result.notified);
      total.queued ||= result.queued;
      if (stopped || result.failed.length + result.notified.length < batch) break;
    }
    // A fail is a transition (the event streams wake for it); overdue notifications alone are not.
    if (total.failed.some((failed) => failed.applied)) s.outbox.written(total.queued);
    else if (total.queued) s.outbox.requeued();
    if (total.failed.length + total.notified.length > 0) hooks.swept?.(total);
    return total;
  };
  const sweep = (): Promise<storage.SweepResult> => {
    // One sweep at a time per process: a call during one waits for it, then sweeps again.
    const previous = running ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(once);
    running = next;
    const clear = () => {
      if (running === next) running = undefined;
    };
    next.then(clear, clear);
    return next;
  };
  const timer = setInterval(() => {
    if (stopped || running) return;
    sweep().catch((error: unknown) => hooks.failed?.(error));
  }, options.intervalMs);
  timer.unref();

  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
