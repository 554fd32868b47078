import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { schemaNames, schemas } from '../src/index.js';

const script = fileURLToPath(new URL('../scripts/build-schemas.mjs', import.meta.url));
const generated = fileURLToPath(new URL('../src/generated/schema-files.ts', import.meta.url));
const repositorySchemas = fileURLToPath(new URL('../../../schemas/', import.meta.url));

function buildSchemas(...args: string[]) {
  const run = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

const scratch: string[] = [];
function copyOfSchemas(): string {
  const dir = mkdtempSync(join(tmpdir(), 'schemas-'));
  scratch.push(dir);
  cpSync(repositorySchemas, dir, { recursive: true });
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the schemas built into the module', () => {
  it('are exactly the files of schemas/, each as the file says', () => {
    const files = readdirSync(repositorySchemas).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(schemaNames.map((name) => `${name}.json`).sort());
    for (const name of schemaNames) {
      expect(schemas[name]).toEqual(
        JSON.parse(readFileSync(join(repositorySchemas, `${name}.json`), 'utf8')),
      );
    }
  });

  it('are up to date: the committed module is what the build writes', () => {
    expect(buildSchemas('--check')).toEqual({ status: 0, stderr: '' });
  });

  it('are reported stale when a schema file changed after the build', () => {
    const source = copyOfSchemas();
    const file = join(source, 'event.json');
    const event = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...event, description: `${event.description} Edited.` }));
    const run = buildSchemas('--check', '--source', source);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('schema-files.ts does not match');
    expect(run.stderr).toContain('pnpm --filter @pipelinejobs/schemas build');
  });

  it('are rebuilt to the same module from the same files', () => {
    const source = copyOfSchemas();
    const out = join(source, 'out', 'schema-files.ts');
    expect(buildSchemas('--source', source, '--out', out).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(generated, 'utf8'));
    expect(buildSchemas('--check', '--source', source, '--out', out)).toEqual({ status: 0, stderr: '' });
  });

  it('refuse a file whose $id does not name it, naming the file', () => {
    const source = copyOfSchemas();
    const file = join(source, 'job.json');
    const job = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...job, $id: 'https://schemas.pipelinejobs.dev/event.json' }));
    const run = buildSchemas('--source', source, '--out', join(source, 'out.ts'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${file} has $id https://schemas.pipelinejobs.dev/event.json`);
  });

  it('refuse a file that is not JSON, naming the file', () => {
    const source = copyOfSchemas();
    const file = join(source, 'problem.json');
    writeFileSync(file, '{"title": ');
    const run = buildSchemas('--source', source, '--out', join(source, 'out.ts'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`cannot parse ${file}`);
  });

  it('refuse a file without the keywords every published schema carries', () => {
    const source = copyOfSchemas();
    const file = join(source, 'pipeline.json');
    const { examples: _examples, ...pipeline } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(pipeline));
    const run = buildSchemas('--source', source, '--out', join(source, 'out.ts'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${file} has no "examples" array`);
  });

  it('refuse a "__proto__" key, which an object literal would turn into a prototype', () => {
    const source = copyOfSchemas();
    const file = join(source, 'delete-job.json');
    const text = readFileSync(file, 'utf8').replace('"properties": {', '"properties": { "__proto__": {},');
    writeFileSync(file, text);
    const run = buildSchemas('--source', source, '--out', join(source, 'out.ts'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('"__proto__" key at /properties');
  });
});
