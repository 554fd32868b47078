import { validateProblem } from '@pipelinejobs/schemas';
import type { CreatedJob } from './fixtures.js';
import type { HistoryReport } from './history-checks.js';
import { type HttpResponse, send } from './http.js';

export interface EventOutcome {
  job: { uuid: string; state: string; last_event: string };
  event: { uuid: string; seq: number; name: string; from: string; to: string };
}

export interface SentEvent {
  job: string;
  name: string;
  /** The idempotency key (`event_id`), when the test sends one. */
  key?: string;
  /** The data it was sent with, so a retry can repeat the same request. */
  data?: Record<string, unknown>;
  res: HttpResponse;
}

/**
 * Sends one event to POST /messages: as a JSON event message, or (form 'params') with URL
 * parameters and a JSON body that becomes the event's data.
 */
export function sendEvent(
  base: string,
  apiKey: string,
  job: CreatedJob,
  name: string,
  options: {
    form?: 'json' | 'params';
    key?: string;
    data?: Record<string, unknown>;
    timeoutMs?: number;
  } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${apiKey}`,
    'content-type': 'application/json',
  };
  if (options.form === 'params') {
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    return send(base, {
      method: 'POST',
      path: `/messages?uuid=${job.uuid}&event=${name}&token=${job.token}`,
      headers,
      body: JSON.stringify(options.data ?? {}),
      timeoutMs: options.timeoutMs,
    });
  }
  const body: Record<string, unknown> = { uuid: job.uuid, name, token: job.token };
  if (options.data !== undefined) body.data = options.data;
  if (options.key !== undefined) body.event_id = options.key;
  return send(base, {
    method: 'POST',
    path: '/messages',
    headers,
    body: JSON.stringify(body),
    timeoutMs: options.timeoutMs,
  });
}

export const is2xx = (status: number) => status >= 200 && status < 300;

/** A 4xx/5xx answer as the API promises it: application/problem+json, valid against problem.json. */
export function problemIssue(res: HttpResponse): string | undefined {
  const type = String(res.headers['content-type'] ?? '');
  if (!/^application\/problem\+json\b/.test(type))
    return `content-type '${type}' is not application/problem+json`;
  const checked = validateProblem(res.json);
  if (!checked.ok) return `not a valid problem document: ${JSON.stringify(checked.issues).slice(0, 300)}`;
  if ((res.json as { status?: unknown }).status !== res.status) {
    return `problem status ${(res.json as { status?: unknown }).status} differs from HTTP ${res.status}`;
  }
  return undefined;
}

export interface EventTally {
  sent: number;
  acknowledged: number;
  /** 409s: refused by the state machine. */
  refused: number;
  found: number;
  lost: number;
  fivexx: number;
  /** No HTTP answer at all (connection refused or reset, timeout). */
  unanswered: number;
  statuses: Record<string, number>;
  /** What is wrong, one line per finding (capped). */
  problems: string[];
}

/**
 * Matches what the callers were told with what the database holds: every 2xx event is in the
 * history exactly once, on its job, with the seq and states the response gave.
 */
export function tally(
  sent: readonly SentEvent[],
  history: HistoryReport,
  options: { unansweredExpected?: boolean } = {},
): EventTally {
  const t: EventTally = {
    sent: sent.length,
    acknowledged: 0,
    refused: 0,
    found: 0,
    lost: 0,
    fivexx: 0,
    unanswered: 0,
    statuses: {},
    problems: [],
  };
  const problem = (line: string) => {
    if (t.problems.length < 30) t.problems.push(line);
  };
  for (const { job, name, res } of sent) {
    t.statuses[res.status] = (t.statuses[res.status] ?? 0) + 1;
    if (res.status === 0) t.unanswered += 1;
    if (res.status <= 0 && !options.unansweredExpected)
      problem(`${name} on ${job}: no answer (${res.error})`);
    if (res.status >= 500) {
      t.fivexx += 1;
      problem(`${name} on ${job}: ${res.status} ${res.text.slice(0, 300)}`);
    }
    if (res.status === 409) t.refused += 1;
    if (res.status >= 400) {
      const issue = problemIssue(res);
      if (issue) problem(`${name} on ${job}: ${res.status}: ${issue}`);
    }
    if (!is2xx(res.status)) continue;
    t.acknowledged += 1;
    const outcome = res.json as EventOutcome;
    const rows = history.byUuid.get(outcome?.event?.uuid ?? '') ?? [];
    const row = rows[0];
    if (rows.length === 1 && row && row.job_uuid === job && row.seq === outcome.event.seq) {
      if (
        row.from_state !== outcome.event.from ||
        row.to_state !== outcome.event.to ||
        row.name !== outcome.event.name
      ) {
        problem(
          `event ${outcome.event.uuid}: history says ${row.name} ${row.from_state}->${row.to_state}, response ${outcome.event.name} ${outcome.event.from}->${outcome.event.to}`,
        );
      }
      t.found += 1;
    } else {
      t.lost += 1;
      problem(
        `acknowledged ${name} ${outcome?.event?.uuid} (seq ${outcome?.event?.seq}) on ${job} found ${rows.length} times in history`,
      );
    }
  }
  return t;
}

/** A small seeded PRNG (mulberry32): the event plans are the same on every run with the same seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(rand: () => number, weighted: readonly [T, number][]): T {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  let r = rand() * total;
  for (const [value, w] of weighted) {
    r -= w;
    if (r < 0) return value;
  }
  return (weighted.at(-1) as [T, number])[0];
}

export function shuffle<T>(rand: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
