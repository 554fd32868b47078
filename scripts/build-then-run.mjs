#!/usr/bin/env node
// `pnpm start` and `pnpm pipelinejobs`: build what is out of date (turbo, quiet unless it fails),
// then run the built entry in this process with the remaining arguments. For development: in
// production run the installed `pipelinejobs-manager` / `pipelinejobs` (or `node <entry>`) directly.
//
//   node scripts/build-then-run.mjs <package> <entry> [args...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [pkg, entry] = process.argv.splice(2, 2);
if (!pkg || !entry) {
  console.error('usage: node scripts/build-then-run.mjs <package> <entry> [args...]');
  process.exit(2);
}
if (!existsSync(`${root}node_modules/.bin/turbo`)) {
  console.error('error: dependencies are not installed; run `pnpm install` first');
  process.exit(1);
}
// Output captured, not shown: stdout must carry only the command's own output (X=$(...)).
const build = spawnSync(
  `${root}node_modules/.bin/turbo`,
  ['run', 'build', `--filter=${pkg}...`, '--output-logs=errors-only'],
  { cwd: root, encoding: 'utf8', env: { ...process.env, TURBO_NO_UPDATE_NOTIFIER: '1' } },
);
if (build.status !== 0) {
  process.stderr.write(`${build.stdout}${build.stderr}`);
  console.error(`error: building ${pkg} failed; run \`pnpm build\` to see why`);
  process.exit(1);
}

// pnpm does not pass SIGTERM on to the script it runs: under `pnpm start`, a stopped pnpm would
// leave this process running with a new parent. Seeing that, it stops as if signalled.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();

await import(pathToFileURL(`${root}${entry}`).href);
