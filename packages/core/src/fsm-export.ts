import { EVENTS, INITIAL_STATE, STATE_NAMES, STATES, type State, TRANSITIONS } from './fsm-table.js';

export interface FsmExportOptions {
  /** A state drawn highlighted (the job's current state). */
  readonly highlight?: State;
  /** Graph title, e.g. `job:<uuid>` as the original drew it. */
  readonly title?: string;
}

/** Every edge of the table, with self-loops resolved to their state. */
export function fsmEdges(): { from: State; to: State; event: string }[] {
  const edges: { from: State; to: State; event: string }[] = [];
  for (const rule of TRANSITIONS) {
    const sources = rule.from === '*' ? STATE_NAMES : rule.from;
    for (const from of sources) {
      edges.push({ from, to: rule.to === '=' ? from : rule.to, event: rule.event });
    }
  }
  return edges;
}

/** Edges between the same two states drawn as one, labels joined. */
function mergedEdges(): { from: State; to: State; label: string }[] {
  const merged = new Map<string, { from: State; to: State; events: string[] }>();
  for (const edge of fsmEdges()) {
    const key = `${edge.from}->${edge.to}`;
    const entry = merged.get(key) ?? { from: edge.from, to: edge.to, events: [] };
    entry.events.push(edge.event);
    merged.set(key, entry);
  }
  return [...merged.values()].map(({ from, to, events }) => ({ from, to, label: events.join('\n') }));
}

const dotString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`).replaceAll('\n', '\\n')}"`;

/** Graphviz DOT text of the FSM, laid out left to right like the original's picture. */
export function fsmToDot(options: FsmExportOptions = {}): string {
  const lines = [
    'digraph PipelineJobFSM {',
    '  rankdir=LR;',
    `  label=${dotString(options.title ?? 'PipelineJob.FSM')}; labelloc=t; fontname="Helvetica";`,
    '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const state of STATE_NAMES) {
    const attrs = [`tooltip=${dotString(STATES[state])}`];
    if (state === INITIAL_STATE) attrs.push('peripheries=2');
    if (state === options.highlight) attrs.push('fillcolor="#ffd54f"', 'penwidth=2');
    lines.push(`  ${state} [${attrs.join(', ')}];`);
  }
  for (const edge of mergedEdges()) {
    lines.push(`  ${edge.from} -> ${edge.to} [label=${dotString(edge.label)}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Mermaid stateDiagram-v2 text of the FSM. */
export function fsmToMermaid(options: FsmExportOptions = {}): string {
  const lines = ['stateDiagram-v2', `  [*] --> ${INITIAL_STATE}`];
  for (const edge of mergedEdges()) {
    lines.push(`  ${edge.from} --> ${edge.to}: ${edge.label.replaceAll('\n', ', ')}`);
  }
  if (options.highlight) {
    lines.push('  classDef current fill:#ffd54f,stroke-width:2px', `  class ${options.highlight} current`);
  }
  return `${lines.join('\n')}\n`;
}

/** The table as plain JSON (GET /fsm, `pipelinejobs fsm --format json`). */
export function fsmToJson() {
  return {
    initial: INITIAL_STATE,
    states: STATE_NAMES.map((name) => ({ name, description: STATES[name] })),
    events: Object.entries(EVENTS).map(([name, description]) => ({ name, description })),
    transitions: TRANSITIONS.map((t) => ({ event: t.event, from: t.from, to: t.to })),
  };
}
