// A separate process that opens the embedded default; driven by embedded.test.ts.
import { createJob, listJobs, openDatabase, registerPipeline } from '@pipelinejobs/storage';

const [dataDir, mode, n] = process.argv.slice(2);
const db = await openDatabase({ dataDir });
const pipeline = {
  id: 'test/embedded:1',
  name: 'embedded test',
  components: [{ id: 'x', image: 'example/x:1' }],
};
const { pipeline: registered } = await registerPipeline(db, pipeline);
if (mode === 'write-and-hang') {
  await createJob(
    db,
    { pipeline_uuid: registered.uuid, child_of: [], data: { n: Number(n) } },
    { creator: { kind: 'cli', id: 'embedded-child' } },
  );
  process.stdout.write('ready\n');
  setInterval(() => {}, 1000); // stays until killed
} else {
  const { items } = await listJobs(db, { limit: 500 });
  process.stdout.write(`${JSON.stringify({ jobs: items.length })}\n`);
  await db.close();
}
