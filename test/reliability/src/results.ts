import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './config.js';

export type Figures = Record<string, string | number | boolean | null | Record<string, number>>;

const file = join(RESULTS_DIR, 'latest.json');

/**
 * Prints one summary line (`contention: sent 1000, acknowledged 812, ...`) so CI output shows the
 * figures, and appends them to runs/latest.json (global-setup.ts starts it afresh each run).
 */
export function report(test: string, figures: Figures): void {
  const parts = Object.entries(figures).map(([name, value]) =>
    typeof value === 'object' && value !== null
      ? `${name} {${Object.entries(value)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ')}}`
      : `${name} ${value}`,
  );
  console.log(`${test}: ${parts.join(', ')}`);
  const current = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { results?: unknown[] })
    : { results: [] };
  const results = [...(current.results ?? []), { test, at: new Date().toISOString(), ...figures }];
  writeFileSync(file, `${JSON.stringify({ ...current, results }, null, 2)}\n`);
}
