import {
  EVENTS,
  INITIAL_STATE,
  STATE_NAMES,
  STATE_OUTCOMES,
  STATES,
  type State,
  TRANSITIONS,
} from './fsm-table.js';

export interface FsmExportOptions {
  /** A state drawn highlighted (the job's current state). */
  readonly highlight?: State;
  /** Graph title, e.g. `job:<uuid>` as the original drew it. */
  readonly title?: string;
  /** The transitions a job went through (from its history): drawn bold, with their states. */
  readonly path?: readonly { readonly from: State; readonly to: State }[];
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
function mergedEdges(edges = fsmEdges()): { from: State; to: State; label: string }[] {
  const merged = new Map<string, { from: State; to: State; events: string[] }>();
  for (const edge of edges) {
    const key = `${edge.from}->${edge.to}`;
    const entry = merged.get(key) ?? { from: edge.from, to: edge.to, events: [] };
    entry.events.push(edge.event);
    merged.set(key, entry);
  }
  return [...merged.values()].map(({ from, to, events }) => ({ from, to, label: events.join('\n') }));
}

const dotString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`).replaceAll('\n', '\\n')}"`;

/** Fill and border of states that end a job's work (the rest are white with a black border). */
const OUTCOME_STYLE = {
  failure: { fill: '#ffcdd2', border: '#c62828' },
  done: { fill: '#c8e6c9', border: '#2e7d32' },
} as const;
const CURRENT_FILL = '#ffd54f';
const PATH_COLOR = '#1565c0';
/** The pseudo-node an event of every state (`reset`) is drawn from: one edge instead of eleven. */
const ANY_STATE = 'ANY_STATE';

/**
 * Graphviz DOT text of the FSM, laid out left to right like the original's picture: failure and
 * done states coloured, the job's path (`path`) bold, its current state (`highlight`) filled, and
 * an event every state has (`reset`) drawn as one edge from "any state" instead of eleven.
 */
export function fsmToDot(options: FsmExportOptions = {}): string {
  const taken = new Set((options.path ?? []).map((edge) => `${edge.from}->${edge.to}`));
  const visited = new Set<State>((options.path ?? []).flatMap((edge) => [edge.from, edge.to]));
  const bold = `style=bold, penwidth=2.5, color="${PATH_COLOR}", fontcolor="${PATH_COLOR}"`;
  const lines = [
    'digraph PipelineJobFSM {',
    '  rankdir=LR;',
    `  label=${dotString(options.title ?? 'PipelineJob.FSM')}; labelloc=t; fontname="Helvetica";`,
    '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const state of STATE_NAMES) {
    const attrs = [`tooltip=${dotString(STATES[state])}`];
    const outcome = STATE_OUTCOMES[state];
    if (outcome)
      attrs.push(`fillcolor="${OUTCOME_STYLE[outcome].fill}"`, `color="${OUTCOME_STYLE[outcome].border}"`);
    if (state === INITIAL_STATE) attrs.push('peripheries=2');
    if (visited.has(state)) attrs.push('penwidth=2.5');
    if (state === options.highlight) attrs.push(`fillcolor="${CURRENT_FILL}"`, 'penwidth=3');
    lines.push(`  ${state} [${attrs.join(', ')}];`);
  }
  const everywhere = TRANSITIONS.filter((rule) => rule.from === '*');
  const fromAnywhere = new Set<string>(everywhere.map((rule) => rule.event));
  for (const edge of mergedEdges(fsmEdges().filter((e) => !fromAnywhere.has(e.event)))) {
    const attrs = [`label=${dotString(edge.label)}`];
    if (taken.has(`${edge.from}->${edge.to}`)) attrs.push(bold);
    lines.push(`  ${edge.from} -> ${edge.to} [${attrs.join(', ')}];`);
  }
  if (everywhere.length > 0) {
    lines.push(`  ${ANY_STATE} [label="any state", shape=plaintext, style="", fontcolor="#616161"];`);
  }
  for (const rule of everywhere) {
    // Every such event leads to one state ('=' would be a self-loop everywhere: none is).
    const to = rule.to === '=' ? undefined : rule.to;
    if (to === undefined) continue;
    const onPath = [...taken].some((key) => key.endsWith(`->${to}`));
    const style = onPath
      ? `penwidth=2.5, color="${PATH_COLOR}", fontcolor="${PATH_COLOR}"`
      : 'color="#616161"';
    lines.push(`  ${ANY_STATE} -> ${to} [label=${dotString(rule.event)}, style=dashed, ${style}];`);
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
