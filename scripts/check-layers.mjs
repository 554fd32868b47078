#!/usr/bin/env node
// Fails when a package imports across the layers of DESIGN.md §3, or when a package (not an app)
// reads process.env or exits the process. Apps are the only composition roots.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Which workspace packages each package may import. Apps may import any package. */
const ALLOWED = {
  core: [],
  schemas: ['core'],
  auth: ['core', 'schemas'],
  storage: ['core', 'schemas'],
  adapters: ['core', 'schemas'],
  // The embedded PostgreSQL server: knows nothing of ours (its errors are translated by service).
  'embedded-postgres': [],
  client: ['core', 'schemas'],
  // The use cases both apps share (create, send, delete, keys): composes the three above.
  service: ['core', 'schemas', 'auth', 'storage', 'adapters', 'embedded-postgres'],
};
/** Third-party modules each package may import at run time (tests may also use dev tools). */
const THIRD_PARTY = {
  core: [],
  schemas: ['ajv', 'ajv-formats'],
  auth: ['jose'],
  storage: ['drizzle-orm', 'postgres'],
  adapters: [],
  'embedded-postgres': ['embedded-postgres', 'postgres'],
  client: [],
  service: ['@viz-js/viz'],
};
const TEST_TOOLS = ['vitest', 'fast-check'];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

const problems = [];
const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

for (const pkg of readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src');
  if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
  const allowed = ALLOWED[pkg];
  if (!allowed) {
    problems.push(`packages/${pkg}: not in the layer table of scripts/check-layers.mjs`);
    continue;
  }
  for (const file of files(src)) {
    const rel = relative(root, file);
    const isTest = /\.test\.ts$/.test(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importRe)) {
      const spec = match[1] ?? match[2];
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      if (spec.startsWith('@pipelinejobs/')) {
        const target = spec.split('/')[1];
        if (!allowed.includes(target))
          problems.push(
            `${rel}: imports ${spec} (packages/${pkg} may import: ${allowed.join(', ') || 'nothing'})`,
          );
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (THIRD_PARTY[pkg].includes(name) || (isTest && TEST_TOOLS.includes(name))) continue;
      if (isTest) continue; // test-only helpers are dev dependencies
      problems.push(`${rel}: imports ${spec}, which packages/${pkg} may not depend on`);
    }
    if (!isTest && /\bprocess\.(env|exit)\b/.test(text)) {
      problems.push(`${rel}: reads process.env or exits; packages take configuration from the apps`);
    }
  }
}

if (problems.length > 0) {
  console.error(`Layer check failed (DESIGN.md §3):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('Layer check passed.');
