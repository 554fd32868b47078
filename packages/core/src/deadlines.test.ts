import { describe, expect, it } from 'vitest';
import { applyBudgets, parseBudgets } from './deadlines.js';

describe('parseBudgets', () => {
  it('reads a duration (fail) and the object form (fail or notify), null removing a budget', () => {
    const parsed = parseBudgets({
      RUNNING: '24h',
      INDEXING: { budget: '2h', action: 'notify' },
      CREATED: null,
    });
    expect(parsed).toEqual({
      ok: true,
      value: {
        RUNNING: { budget: '24h', ms: 86_400_000, action: 'fail' },
        INDEXING: { budget: '2h', ms: 7_200_000, action: 'notify' },
        CREATED: null,
      },
    });
  });

  it('names every bad state, duration and action at its pointer', () => {
    const parsed = parseBudgets(
      { running: '1h', RUNNING: '0h', INDEXING: { budget: '2h', action: 'page' }, FAILED: '400d', RESET: 5 },
      '/deadlines',
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((i) => i.path)).toEqual([
      '/deadlines/running',
      '/deadlines/RUNNING',
      '/deadlines/INDEXING/action',
      '/deadlines/FAILED',
      '/deadlines/RESET',
    ]);
    expect(parsed.issues[0]?.message).toContain("'running' is not a state");
    expect(parsed.issues[1]?.message).toContain('e.g. 24h');
    expect(parsed.issues[2]?.message).toContain('fail, notify');
  });

  it('refuses a fail budget on a state the job cannot fail from, and takes a notify-only one there', () => {
    const parsed = parseBudgets(
      { FINISHED: '1h', VALIDATED: { budget: '2h', action: 'fail' } },
      '/deadlines',
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues.map((i) => i.path)).toEqual(['/deadlines/FINISHED', '/deadlines/VALIDATED']);
    expect(parsed.issues[0]?.message).toContain("cannot fail (the state machine refuses 'fail' there)");
    expect(parsed.issues[0]?.message).toContain('"action": "notify"');
    expect(parseBudgets({ FINISHED: { budget: '1h', action: 'notify' } })).toMatchObject({ ok: true });
  });

  it('lays a job override over the pipeline budgets state by state', () => {
    const base = parseBudgets({ RUNNING: '24h', INDEXING: '2h' });
    const override = parseBudgets({
      RUNNING: '1h',
      INDEXING: null,
      VALIDATING: { budget: '3d', action: 'notify' },
    });
    if (!base.ok || !override.ok) throw new Error('parse failed');
    const budgets = applyBudgets(base.value as never, override.value);
    expect(Object.keys(budgets)).toEqual(['RUNNING', 'VALIDATING']);
    expect(budgets.RUNNING?.ms).toBe(3_600_000);
  });
});
