import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { num, table } from './report.js';

/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time by function and by
 * package, which is what tells whether the Manager's time goes to our code, Express, the
 * PostgreSQL driver, logging, JSON, crypto or the garbage collector.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Busy time: everything but (idle). */
  busyMs: number;
  topFunctions: { name: string; where: string; selfMs: number; percentOfBusy: number }[];
  byPackage: { name: string; selfMs: number; percentOfBusy: number }[];
  /**
   * Functions of the workspace and of npm packages by inclusive time (self plus callees, each
   * sample counted once per function): where the request path spends its time, layer by layer.
   * Only synchronous stacks: work resumed after an await is counted under its own frames.
   */
  topInclusive: { name: string; where: string; totalMs: number; percentOfBusy: number }[];
}

/** A frame's owner: a workspace package, an npm package, Node itself, or V8 pseudo-frames. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (core)';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain?.[1]) return plain[1];
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (workspace) return `@pipelinejobs/${workspace[2]}`;
  return url;
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/.*\/(packages|apps)\//, '$1/');
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute it to that sample's node.
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const pkg = packageOf(frame.url, frame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const inclusive = inclusiveTimes(profile, byId);
  const pct = (us: number) => (busyUs === 0 ? 0 : (100 * us) / busyUs);
  return {
    file,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, percentOfBusy: pct(f.us) })),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, selfMs: us / 1000, percentOfBusy: pct(us) })),
    topInclusive: [...inclusive.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, totalMs: f.us / 1000, percentOfBusy: pct(f.us) })),
  };
}

/** Inclusive time of workspace and npm-package functions (node core and V8 frames left out). */
function inclusiveTimes(profile: CpuProfile, byId: Map<number, ProfileNode>) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const result = new Map<string, { name: string; where: string; us: number }>();
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame || !/\/(node_modules|packages|apps)\//.test(frame.url)) continue;
      const name = frame.functionName || '(anonymous)';
      const where = `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      const key = `${name}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = result.get(key) ?? { name, where, us: 0 };
      entry.us += us;
      result.set(key, entry);
    }
  });
  return result;
}

/** The newest .cpuprofile in a folder. */
export function findProfile(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  files.sort();
  const last = files.at(-1);
  return last ? join(dir, last) : undefined;
}

/** The summary as printed at the end of a `--profile` run. */
export function profileText(p: ProfileSummary): string {
  const pkgs = table(
    ['self ms', '% busy', 'package'],
    p.byPackage.slice(0, 15).map((x) => [num(x.selfMs), num(x.percentOfBusy, 1), x.name]),
  );
  const self = table(
    ['self ms', '% busy', 'function', 'where'],
    p.topFunctions.map((f) => [num(f.selfMs), num(f.percentOfBusy, 1), f.name, f.where]),
  );
  const inclusive = table(
    ['total ms', '% busy', 'function', 'where'],
    p.topInclusive.map((f) => [num(f.totalMs), num(f.percentOfBusy, 1), f.name, f.where]),
  );
  return [
    `Manager CPU profile (node --cpu-prof; samples are wall time on the main thread, idle excluded): ${num(p.busyMs)} ms busy of ${num(p.totalMs)} ms`,
    `Self time by package:\n${pkgs}`,
    `Top functions by self time:\n${self}`,
    `Top workspace and npm-package functions by inclusive time:\n${inclusive}`,
  ].join('\n\n');
}
