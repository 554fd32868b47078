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

  it('draws the reset of every state as one edge from "any state"', () => {
    const dot = fsmToDot();
    expect(dot).not.toMatch(/^ {2}(?!ANY_STATE)\w+ -> RESET/m);
    expect(dot.match(/ANY_STATE -> RESET \[label="reset", style=dashed/g)).toHaveLength(1);
    expect(dot).toContain('RESET -> CREATED [label="ready"]');
  });

  it('colours failure and done states, and draws a path bold with its states', () => {
    const dot = fsmToDot({
      highlight: 'RESET',
      path: [
        { from: 'CREATED', to: 'RUNNING' },
        { from: 'RUNNING', to: 'FAILED' },
        { from: 'FAILED', to: 'RESET' },
      ],
    });
    expect(dot).toMatch(/FAILED \[[^\]]*fillcolor="#ffcdd2", color="#c62828"/);
    expect(dot).toMatch(/REJECTED \[[^\]]*fillcolor="#ffcdd2"/);
    expect(dot).toMatch(/FINALIZED \[[^\]]*fillcolor="#c8e6c9"/);
    expect(dot).toMatch(/RETIRED \[[^\]]*fillcolor="#c8e6c9"/);
    expect(dot).toMatch(/RUNNING \[[^\]]*penwidth=2\.5/);
    expect(dot).not.toMatch(/VALIDATING \[[^\]]*penwidth/);
    expect(dot).toContain('CREATED -> RUNNING [label="run", style=bold, penwidth=2.5');
    expect(dot).toContain('RUNNING -> FAILED [label="fail", style=bold');
    expect(dot).toContain('CREATED -> FAILED [label="fail"];');
    expect(dot).toMatch(/ANY_STATE -> RESET \[label="reset", style=dashed, penwidth=2\.5/);
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
