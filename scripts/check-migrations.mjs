#!/usr/bin/env node
// Fails when packages/storage/src/schema.ts has changes that no committed migration covers:
// drizzle-kit generates into a scratch copy of the migrations folder, which must stay unchanged.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const storage = new URL('../packages/storage/', import.meta.url).pathname;
// Relative to the package: drizzle-kit prefixes `./` to --out, so an absolute path breaks.
const relative = `.migrations-check-${process.pid}`;
const scratch = join(storage, relative);
try {
  cpSync(join(storage, 'drizzle'), scratch, { recursive: true });
  const before = readdirSync(scratch).sort().join(',');
  const output = execFileSync(
    'pnpm',
    [
      'exec',
      'drizzle-kit',
      'generate',
      '--dialect',
      'postgresql',
      '--schema',
      './src/schema.ts',
      '--out',
      relative,
    ],
    { cwd: storage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const after = readdirSync(scratch).sort().join(',');
  if (!output.includes('No schema changes')) {
    console.error(`drizzle-kit did not confirm the migrations:\n${output}`);
    process.exit(1);
  }
  if (before !== after) {
    console.error(
      'Migrations are out of date: run `pnpm --filter @pipelinejobs/storage db:generate` and commit drizzle/.',
    );
    process.exit(1);
  }
  console.log('Migrations match the schema.');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
