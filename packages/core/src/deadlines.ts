import { parseDurationMs } from './duration.js';
import { STATE_NAMES, type State } from './fsm-table.js';
import { transition } from './transition.js';

/** What a budget does when the job outlives it in its state: a `fail` event, or a notification only. */
export const DEADLINE_ACTIONS = ['fail', 'notify'] as const;
export type DeadlineAction = (typeof DEADLINE_ACTIONS)[number];

/** The longest budget: a year. Longer is almost surely a mistake, and keeps every deadline in range. */
const MAX_BUDGET_MS = 366 * 86_400_000;

/** One state's budget as kept: the duration as declared, in milliseconds, and what it does. */
export interface StateBudget {
  readonly budget: string;
  readonly ms: number;
  readonly action: DeadlineAction;
}

/** A job's or a pipeline's budgets by state; a state without one has no deadline. */
export type Budgets = Partial<Record<State, StateBudget>>;

/** Budgets as declared, where `null` removes a state's budget (an override of the pipeline's). */
export type BudgetChanges = Partial<Record<State, StateBudget | null>>;

/** One thing wrong with declared budgets: where (a JSON pointer) and what. */
export interface BudgetIssue {
  readonly path: string;
  readonly message: string;
}

export type BudgetsResult = { ok: true; value: BudgetChanges } | { ok: false; issues: BudgetIssue[] };

const FORMS = 'a duration ("24h"), {"budget": "24h", "action": "fail" | "notify"}, or null (no budget)';

/**
 * Reads declared budgets: an object of state names (upper case, as the state machine spells
 * them) to `"24h"` (fails the job), `{"budget": "2h", "action": "notify"}`, or `null`. Durations
 * are parseDurationMs's (`250ms`, `30s`, `15m`, `12h`, `7d`, `2w`), above zero and at most a
 * year. Every issue is reported, each at its JSON pointer under `at`.
 */
export function parseBudgets(declared: unknown, at = ''): BudgetsResult {
  if (typeof declared !== 'object' || declared === null || Array.isArray(declared)) {
    return {
      ok: false,
      issues: [{ path: at, message: `${at || 'the budgets'} must be an object of states to budgets` }],
    };
  }
  const value: BudgetChanges = {};
  const issues: BudgetIssue[] = [];
  for (const [name, entry] of Object.entries(declared)) {
    const path = `${at}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const state = STATE_NAMES.find((known) => known === name);
    if (state === undefined) {
      issues.push({
        path,
        message: `${path}: '${name.slice(0, 64)}' is not a state; use one of: ${STATE_NAMES.join(', ')}`,
      });
      continue;
    }
    if (entry === null) {
      value[state] = null;
      continue;
    }
    const object =
      typeof entry === 'object' && !Array.isArray(entry) ? (entry as Record<string, unknown>) : undefined;
    const text = typeof entry === 'string' ? entry : object?.budget;
    const action = object === undefined ? 'fail' : (object.action ?? 'fail');
    if (
      typeof text !== 'string' ||
      (object !== undefined && Object.keys(object).some((k) => k !== 'budget' && k !== 'action'))
    ) {
      issues.push({ path, message: `${path} must be ${FORMS}` });
      continue;
    }
    const ms = parseDurationMs(text);
    if (ms === undefined || ms > MAX_BUDGET_MS) {
      issues.push({
        path: object ? `${path}/budget` : path,
        message: `${object ? `${path}/budget` : path} must be a duration above zero and at most 366d: a whole number and a unit (ms, s, m, h, d, w), e.g. 24h`,
      });
      continue;
    }
    if (action !== 'fail' && action !== 'notify') {
      issues.push({
        path: `${path}/action`,
        message: `${path}/action must be one of: ${DEADLINE_ACTIONS.join(', ')}`,
      });
      continue;
    }
    // A fail budget where the state machine refuses `fail` would never fail the job; said now,
    // rather than found by a sweep that cannot act on it.
    if (action === 'fail' && !transition(state, 'fail').ok) {
      issues.push({
        path,
        message: `${path}: a job in ${state} cannot fail (the state machine refuses 'fail' there); give it {"budget": "${text.trim().slice(0, 20)}", "action": "notify"} or no budget`,
      });
      continue;
    }
    value[state] = { budget: text.trim(), ms, action };
  }
  return issues.length === 0 ? { ok: true, value } : { ok: false, issues };
}

/**
 * The budgets in force: `base` (a pipeline's) with `changes` (a job's override) laid over it
 * state by state, a `null` removing the state's budget.
 */
export function applyBudgets(base: Budgets, changes: BudgetChanges = {}): Budgets {
  const out: Budgets = {};
  for (const state of STATE_NAMES) {
    const change = changes[state];
    const budget = change === undefined ? base[state] : change;
    if (budget) out[state] = budget;
  }
  return out;
}
