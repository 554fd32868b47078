import { fsmToDot, fsmToJson, fsmToMermaid } from '@pipelinejobs/core';
import { fsmSvg } from '@pipelinejobs/service';
import { type Command, Option } from 'commander';
import { globalOptions } from '../global-options.js';
import type { Invocation } from '../invocation.js';
import { createOutput } from '../output.js';
import { fsmRows, fsmTable } from '../views/fsm-table-view.js';

const FORMATS = ['table', 'mermaid', 'dot', 'svg', 'json'] as const;
type Format = (typeof FORMATS)[number];

async function render(format: Exclude<Format, 'table' | 'json'>): Promise<string> {
  if (format === 'mermaid') return fsmToMermaid();
  if (format === 'dot') return fsmToDot();
  return fsmSvg();
}

/** `fsm`: the state machine from core's table; needs no database and no configuration. */
export function registerFsm(program: Command, invocation: Invocation): void {
  program
    .command('fsm')
    .description('print the job state machine: a table, Mermaid, Graphviz DOT, SVG (Graphviz) or JSON')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table'))
    .action(async (options: { format: Format }, command: Command) => {
      const out = createOutput(globalOptions(command), invocation.io);
      const { format } = options;
      if (format === 'table' || format === 'json') {
        const json = {
          ...fsmToJson(),
          // What the table shows, ready to use: for each state, event -> target.
          allowed: fsmRows().map(({ state, event, to }) => ({ state, event, to })),
        };
        if (format === 'json' && !out.json) out.line(JSON.stringify(json, null, 2));
        else out.result(json, () => out.line(fsmTable(out.style, out.width)));
        return;
      }
      const text = await render(format);
      // With --json a drawing is wrapped, so stdout is still one JSON document.
      out.result({ format, text }, () => out.line(text.endsWith('\n') ? text.slice(0, -1) : text));
    });
}
