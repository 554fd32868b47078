// A process that takes a start lock and holds it until told to let go; driven by start-lock.test.ts.
//   node lock-child.mjs <lock file> <timeout ms>: says `trying`, then `held` once it holds the lock;
//   on a `release` line on stdin (or stdin closing) it says `releasing` as it leaves its critical
//   section and `released` once the lock is let go; a timeout exits 1.
import { createInterface } from 'node:readline';
import { withStartLock } from '../dist/start-lock.js';

const [lock, timeoutMs] = process.argv.slice(2);
const input = createInterface({ input: process.stdin });
const letGo = new Promise((resolve) => {
  input.on('line', (line) => line === 'release' && resolve());
  input.on('close', resolve);
});
process.stdout.write('trying\n');
try {
  await withStartLock(lock, Number(timeoutMs), async () => {
    process.stdout.write('held\n');
    await letGo;
    process.stdout.write('releasing\n');
  });
  process.stdout.write('released\n');
  process.exit(0);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
