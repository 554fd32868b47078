import { type IncomingMessage, request } from 'node:http';
import { generateApiKey } from '@pipelinejobs/auth';
import { loadFixture, TACOBOT_PIPELINE } from '@pipelinejobs/fixtures';
import { insertApiKey, openDatabase } from '@pipelinejobs/storage';
import { Cleanup } from './cleanup.js';
import { newSecret } from './credentials.js';
import { createBenchDatabase, startServer } from './database.js';
import { startManager } from './manager-process.js';
import { RssSampler, rssMb } from './proc.js';

/**
 * `pnpm bench:streams`: one Manager serving STREAMS open global event streams (Server-Sent
 * Events, one reader key each... all one key: the per-credential cap is raised), its RSS idle and
 * under load, and the event throughput: transitions sent over HTTP while the streams are open,
 * and events delivered (each transition to every stream). Prints numbers; it asserts nothing.
 * DATABASE_URL: an external PostgreSQL (else the embedded one).
 */
const STREAMS = Number(process.env.STREAMS ?? 1000);
const TRANSITIONS = Number(process.env.TRANSITIONS ?? 2000);
const JOBS = 20;
const CONCURRENCY = 8;

async function adminKey(url: string): Promise<string> {
  const db = await openDatabase({ url, poolSize: 1 }, { migrate: false });
  try {
    const key = generateApiKey();
    await insertApiKey(
      db,
      { hash: key.hash, prefix: key.prefix, role: 'admin', label: 'bench streams' },
      {
        kind: 'cli',
        id: 'bench',
      },
    );
    return key.key;
  } finally {
    await db.close();
  }
}

async function call(base: string, key: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Opens one stream; counts the events it receives (lines starting `id: `). */
function openStream(base: string, key: string, counted: () => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/events/stream`, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`stream: ${res.statusCode}`));
      let carry = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const text = carry + chunk;
        let at = text.indexOf('\nid: ');
        while (at >= 0) {
          counted();
          at = text.indexOf('\nid: ', at + 1);
        }
        carry = text.slice(-5);
      });
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const cleanup = new Cleanup();
  try {
    const server = await startServer(process.env.DATABASE_URL, log);
    cleanup.add('stop the embedded PostgreSQL', server.stop);
    const database = await createBenchDatabase(server);
    cleanup.add('drop the bench database', database.drop);
    const secret = newSecret();
    const manager = await startManager({
      databaseUrl: database.url,
      secret,
      poolSize: 8,
      // Each stream is a connection: the connection caps (1000, 100 per address) are raised too.
      env: {
        PIPELINEJOBS_STREAMS_PER_CREDENTIAL: String(STREAMS),
        PIPELINEJOBS_STREAMS_MAX: String(STREAMS),
        PIPELINEJOBS_MAX_CONNECTIONS: String(STREAMS + 100),
        PIPELINEJOBS_MAX_CONNECTIONS_PER_ADDRESS: '0',
      },
    });
    cleanup.add('stop the Manager', manager.stop);
    const key = await adminKey(database.url);
    await call(manager.url, key, '/pipelines', loadFixture('sd2e/pipelines/tacobot.json'));
    const jobs: { uuid: string; token: string }[] = [];
    for (let n = 0; n < JOBS; n += 1) {
      jobs.push(
        (await call(manager.url, key, '/jobs', {
          pipeline_uuid: TACOBOT_PIPELINE,
          child_of: [],
          data: { bench: n },
        })) as { uuid: string; token: string },
      );
    }
    const idleMb = rssMb(manager.pid) ?? 0;
    let delivered = 0;
    const opening = performance.now();
    const streams: IncomingMessage[] = [];
    for (let i = 0; i < STREAMS; i += 50) {
      const batch = Array.from({ length: Math.min(50, STREAMS - i) }, () =>
        openStream(manager.url, key, () => {
          delivered += 1;
        }),
      );
      streams.push(...(await Promise.all(batch)));
    }
    const openedMs = performance.now() - opening;
    await new Promise((r) => setTimeout(r, 1000));
    const openMb = rssMb(manager.pid) ?? 0;
    log(
      `${STREAMS} streams open in ${(openedMs / 1000).toFixed(1)} s; Manager RSS ${idleMb.toFixed(0)} MB before, ${openMb.toFixed(0)} MB with them open (${(((openMb - idleMb) * 1024) / STREAMS).toFixed(1)} KiB per stream)`,
    );

    const sampler = new RssSampler(manager.pid, 100).start();
    const started = performance.now();
    let next = 0;
    const sent = new Array<number>(JOBS).fill(0);
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= TRANSITIONS) return;
        const j = i % JOBS;
        const job = jobs[j] as { uuid: string; token: string };
        const name = sent[j] === 0 ? 'run' : 'update';
        sent[j] = (sent[j] ?? 0) + 1;
        await call(manager.url, key, '/messages', { uuid: job.uuid, token: job.token, name });
      }
    };
    // Each job's events in order: one worker per job at most (JOBS >= CONCURRENCY, i % JOBS).
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const sentMs = performance.now() - started;
    const expected = TRANSITIONS * STREAMS;
    const deadline = Date.now() + 120_000;
    while (delivered < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const allMs = performance.now() - started;
    const peakMb = sampler.stop();
    log(
      `${TRANSITIONS} transitions at concurrency ${CONCURRENCY} with ${STREAMS} streams open: ` +
        `${((TRANSITIONS * 1000) / sentMs).toFixed(0)} transitions/s sent; ` +
        `${delivered} of ${expected} events delivered in ${(allMs / 1000).toFixed(1)} s ` +
        `(${((delivered * 1000) / allMs).toFixed(0)} events/s to the streams); peak Manager RSS ${peakMb.toFixed(0)} MB`,
    );
    for (const stream of streams) stream.destroy();
  } finally {
    await cleanup.runAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
