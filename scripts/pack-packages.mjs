#!/usr/bin/env node
// Packs the packages a user would reuse into tarballs npm installs (`node scripts/pack-packages.mjs
// <directory>`; the tarball paths are printed, one a line). pnpm packs each (workspace: and
// catalog: versions become real ones); a package that imports postgres.js as `#postgres` gets the
// workspace's patched copy in it, so that the crash fix and the pool statistics of
// patches/postgres@3.4.9.patch travel with it (pnpm's patch applies only inside the workspace).
// Then each tarball is checked: no build info, and every source map's sources are in it.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** In dependency order. */
export const PUBLISHED = [
  'core',
  'schemas',
  'client',
  'adapters',
  'auth',
  'storage',
  'embedded-postgres',
  'service',
];

/** What each hunk of the patch adds to postgres.js, all looked for in the copy that is packed (src/). */
const PATCH_MARKS = [
  'Patched (porsager/postgres#1208',
  'Patched (pipelinejobs; porsager/postgres#1223)',
  'Patched (pipelinejobs; porsager/postgres#1192, #1205, caught)',
  'Patched (pipelinejobs; porsager/postgres#1192, closing)',
  'Patched (pipelinejobs; porsager/postgres#789)',
  'Patched (pipelinejobs; porsager/postgres#1119, #1181)',
  'Patched (pipelinejobs; reconnect backoff)',
];

const run = (command, args, cwd) => execFileSync(command, args, { cwd, encoding: 'utf8' }).trim();

function filesOf(tarball) {
  return run('tar', ['tzf', tarball]).split('\n');
}

/**
 * Re-packs `tarball` with the workspace's (patched) postgres.js in `vendor/postgres`, where the
 * package's `#postgres` import then points. `postgres` stays a dependency, for drizzle-orm's
 * import of it; only the vendored copy ever connects (storage hands drizzle its own client).
 */
function vendorPostgres(packageDir, tarball) {
  const work = mkdtempSync(join(tmpdir(), 'pj-pack-'));
  try {
    run('tar', ['xzf', tarball, '-C', work]);
    const unpacked = join(work, 'package');
    const installed = realpathSync(join(packageDir, 'node_modules', 'postgres'));
    const connection = readFileSync(join(installed, 'src', 'connection.js'), 'utf8');
    const missing = PATCH_MARKS.filter((mark) => !connection.includes(mark));
    if (missing.length > 0) {
      throw new Error(`${installed} lacks ${missing.join(', ')} of patches/: run pnpm install`);
    }
    cpSync(installed, join(unpacked, 'vendor', 'postgres'), { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'));
    manifest.imports = { ...manifest.imports, '#postgres': './vendor/postgres/src/index.js' };
    manifest.files = [...manifest.files, 'vendor'];
    writeFileSync(join(unpacked, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    rmSync(tarball);
    run('npm', ['pack', '--silent', '--pack-destination', dirname(tarball)], unpacked);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function check(name, tarball) {
  const files = new Set(filesOf(tarball));
  const problems = [];
  for (const file of files) {
    if (file.endsWith('.tsbuildinfo')) problems.push(`${file}: build info`);
    if (!file.endsWith('.map') || file.startsWith('package/vendor/')) continue;
    const map = JSON.parse(run('tar', ['xzOf', tarball, file]));
    for (const source of map.sources) {
      const shipped = join(dirname(file), source);
      if (!files.has(shipped)) problems.push(`${file}: its source ${shipped} is not in the tarball`);
    }
  }
  for (const required of ['package/LICENSE', 'package/README.md', 'package/package.json']) {
    if (!files.has(required)) problems.push(`${required} is missing`);
  }
  if (problems.length > 0) throw new Error(`${name}: ${problems.join('; ')}`);
}

export function packPackages(outDir) {
  mkdirSync(outDir, { recursive: true });
  const tarballs = [];
  for (const name of PUBLISHED) {
    const packageDir = join(root, 'packages', name);
    const out = run('pnpm', ['pack', '--pack-destination', outDir], packageDir).split('\n');
    const tarball = resolve(outDir, out[out.length - 1] ?? '');
    if (!existsSync(tarball)) throw new Error(`pnpm pack of ${name} gave no tarball: ${out.join('\n')}`);
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    if (manifest.imports?.['#postgres']) vendorPostgres(packageDir, tarball);
    check(name, tarball);
    tarballs.push(tarball);
  }
  return tarballs;
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url).pathname)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node scripts/pack-packages.mjs <directory>');
    process.exit(2);
  }
  for (const tarball of packPackages(resolve(outDir))) console.log(tarball);
}
