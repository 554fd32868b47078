import { describe, expect, it } from 'vitest';
import { fsmEdges, fsmToDot, fsmToJson, fsmToMermaid } from './fsm-export.js';
import { STATE_NAMES } from './fsm-table.js';

describe('fsm export', () => {
  it('draws every state and every edge of the table in DOT', () => {
    const dot = fsmToDot();
    for (const state of STATE_NAMES) expect(dot).toContain(`  ${state} [`);
    expect(dot).toContain('CREATED -> RUNNING [label="run"]');
    expect(dot).toContain('RUNNING -> RUNNING [label="run\\nupdate\\nresource"]');
    expect(dot.startsWith('digraph PipelineJobFSM {')).toBe(true);
  });

  it('highlights the current state and sets the title', () => {
    const dot = fsmToDot({ highlight: 'RUNNING', title: 'job:107b93f3-1eae-5e79-8a18-0a480f8aa3a5' });
    expect(dot).toMatch(/RUNNING \[[^\]]*fillcolor="#ffd54f"/);
    expect(dot).not.toMatch(/CREATED \[[^\]]*fillcolor="#ffd54f"/);
    expect(dot).toContain('label="job:107b93f3-1eae-5e79-8a18-0a480f8aa3a5"');
  });

  it('writes a Mermaid state diagram from the same edges', () => {
    const mermaid = fsmToMermaid({ highlight: 'FAILED' });
    expect(mermaid.split('\n')[0]).toBe('stateDiagram-v2');
    expect(mermaid).toContain('RESET --> CREATED: ready');
    expect(mermaid).toContain('class FAILED current');
  });

  it('expands reset from every state', () => {
    const resets = fsmEdges().filter((e) => e.event === 'reset');
    expect(resets.map((e) => e.from).sort()).toEqual([...STATE_NAMES].sort());
  });

  it('exports the table as JSON with descriptions', () => {
    const json = fsmToJson();
    expect(json.states).toHaveLength(11);
    expect(json.events).toHaveLength(15);
    expect(json.initial).toBe('CREATED');
  });
});
