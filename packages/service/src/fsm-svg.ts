import { fsmToDot, type State } from '@pipelinejobs/core';
import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;
const cache = new Map<string, string>();

/**
 * The FSM drawn by Graphviz (compiled to WASM), like the original's picture: the table from core,
 * laid out by `dot`, with the job's current state highlighted and its path bold. Renders are
 * cached by state, title and path.
 */
export async function fsmSvg(
  options: { highlight?: State; title?: string; path?: readonly { from: State; to: State }[] } = {},
): Promise<string> {
  const path = (options.path ?? []).map((edge) => `${edge.from}>${edge.to}`).sort();
  const key = `${options.highlight ?? ''}|${options.title ?? ''}|${path.join(',')}`;
  const cached = cache.get(key);
  if (cached) return cached;
  viz ??= instance();
  const svg = (await viz).renderString(fsmToDot(options), { format: 'svg', engine: 'dot' });
  if (cache.size > 1000) cache.clear();
  cache.set(key, svg);
  return svg;
}
