import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The package bundled into one file and run from an empty directory, with Node's permission
// model allowing reads of that directory only: the schemas must come from the module itself.
const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'schemas-bundle-'));
  await build({
    entryPoints: [entry],
    outfile: join(dir, 'schemas.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  writeFileSync(
    join(dir, 'main.mjs'),
    [
      "import { validate, schemas } from './schemas.mjs';",
      'const valid = schemas.event.examples[0];',
      "const invalid = { name: 'finnish' };",
      "console.log(JSON.stringify({ valid: validate('event', valid), invalid: validate('event', invalid) }));",
    ].join('\n'),
  );
}, 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the package bundled into one file', () => {
  it('is that one file, with nothing beside it', () => {
    expect(readdirSync(dir).sort()).toEqual(['main.mjs', 'schemas.mjs']);
  });

  it('validates a document from an empty directory, reading no file but its own', () => {
    const run = spawnSync(
      process.execPath,
      ['--experimental-permission', `--allow-fs-read=${dir}/*`, '--no-warnings', 'main.mjs'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { valid, invalid } = JSON.parse(run.stdout);
    expect(valid.ok).toBe(true);
    expect(invalid.ok).toBe(false);
    expect(invalid.issues).toContainEqual({ path: '/uuid', message: '/uuid is required' });
  });
});
