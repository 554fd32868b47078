import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Plain-text tables and the results files. */

/** Every run's figures, ignored by git; a run a README quotes is copied to results/ by name. */
const RESULTS_DIR = fileURLToPath(new URL('../runs/', import.meta.url));

/** A number for a table cell: '-' for missing, fixed digits otherwise. */
export function num(x: number | undefined, digits = 0): string {
  return x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

/** Columns padded to their widest cell; numbers (and '-') right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = (cell: string) => /^[-+]?[\d.]+%?$|^-$/.test(cell);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface Target {
  name: string;
  /** What was measured, as printed. */
  measured: string;
  pass: boolean | undefined;
}

export function targetLines(targets: Target[]): string {
  const width = Math.max(...targets.map((t) => t.name.length));
  return targets
    .map(
      (t) =>
        `  ${t.pass === undefined ? 'n/a ' : t.pass ? 'PASS' : 'MISS'}  ${t.name.padEnd(width)}  ${t.measured}`,
    )
    .join('\n');
}

/**
 * What every results file starts with: its mode, when, the machine and the options, a given
 * database URL only as "(given)" (it may hold a password).
 */
export function resultsHeader<O extends { databaseUrl?: string | undefined }>(
  mode: string,
  machine: unknown,
  options: O,
) {
  return {
    mode,
    date: new Date().toISOString(),
    machine,
    options: { ...options, databaseUrl: options.databaseUrl ? '(given)' : undefined },
  };
}

/** Writes `runs/<iso-date><suffix>.json` and `runs/latest<suffix>.json`; returns the first path. */
export function writeResults(document: unknown, suffix = ''): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const path = `${RESULTS_DIR}${stamp}${suffix}.json`;
  writeFileSync(path, text);
  writeFileSync(`${RESULTS_DIR}latest${suffix}.json`, text);
  return path;
}
