// A separate process that opens the embedded default as the apps do (a lease on the server, then
// storage on its URL; closing ends the pool, then the lease); driven by embedded*.test.ts.
//   write-and-hang N: creates job N, says `ready`, stays until killed
//   count: prints {"jobs": n} and closes
//   hold [idleSeconds]: says `ready`, then obeys stdin lines: `query` answers `ok <n>` or
//     `error <message>`; `close` closes the database, says `closed` and exits
import { createInterface } from 'node:readline';
import { acquireEmbeddedServer } from '@pipelinejobs/embedded-postgres';
import { insertJob, insertPipeline, openDatabase, selectJobs } from '@pipelinejobs/storage';

const [dataDir, mode, arg] = process.argv.slice(2);
const log = (line) => process.stderr.write(`${line}\n`);
const hold = mode === 'hold';
const server = await acquireEmbeddedServer(dataDir, hold ? { watchIntervalMs: 500, log } : {});
const pool = await openDatabase({
  url: server.url,
  idleTimeoutSeconds: hold ? Number(arg ?? 60) : undefined,
});
const db = {
  ...pool,
  async close() {
    await pool.close();
    await server.release();
  },
};
const pipeline = {
  id: 'test/embedded:1',
  name: 'embedded test',
  components: [{ id: 'x', image: 'example/x:1' }],
};
const { pipeline: registered } = await insertPipeline(db, pipeline);
if (mode === 'write-and-hang') {
  await insertJob(
    db,
    { pipeline_uuid: registered.uuid, child_of: [], data: { n: Number(arg) } },
    { creator: { kind: 'cli', id: 'embedded-child' } },
  );
  process.stdout.write('ready\n');
  setInterval(() => {}, 1000); // stays until killed
} else if (hold) {
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'query') {
      try {
        const [row] = await db.sql`select count(*)::int as n from jobs`;
        process.stdout.write(`ok ${row.n}\n`);
      } catch (error) {
        process.stdout.write(`error ${error instanceof Error ? error.message : String(error)}\n`);
      }
    } else if (line === 'close') {
      await db.close();
      process.stdout.write('closed\n');
      process.exit(0);
    }
  }
} else {
  const { items } = await selectJobs(db, { limit: 500, maxBytes: 8 * 1024 * 1024 });
  process.stdout.write(`${JSON.stringify({ jobs: items.length })}\n`);
  await db.close();
}
