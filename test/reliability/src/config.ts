import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: Manager processes run `node apps/http/dist/main.js` from here. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where each run writes its figures (runs/latest.json, ignored by git; quoted runs go to results/). */
export const RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../runs');

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got '${raw}'`);
  }
  return value;
}

const whole = (name: string, fallback: number) => Math.max(1, Math.round(positive(name, fallback)));

/**
 * Sizes of the suite (README.md). RELIABILITY_SCALE multiplies every count; each count can also
 * be set on its own. The defaults keep the whole suite within a few minutes on 2 cores.
 */
export const SCALE = positive('RELIABILITY_SCALE', 1);
const scaled = (name: string, base: number) => whole(name, base * SCALE);

export const sizes = {
  /** Concurrent events on one hot job, split across two Managers. */
  hotEvents: scaled('RELIABILITY_HOT_EVENTS', 1000),
  /** Jobs of the many-jobs contention run, and events per job. */
  jobs: scaled('RELIABILITY_JOBS', 100),
  eventsPerJob: whole('RELIABILITY_EVENTS_PER_JOB', 50),
  /** Events of the kill -9 run, spread over crashJobs jobs. */
  crashEvents: scaled('RELIABILITY_CRASH_EVENTS', 5000),
  crashJobs: scaled('RELIABILITY_CRASH_JOBS', 50),
  crashConcurrency: whole('RELIABILITY_CRASH_CONCURRENCY', 32),
  /** PostgreSQL restarts under load, and how long each outage lasts. */
  dbRestarts: whole('RELIABILITY_DB_RESTARTS', SCALE > 1 ? 3 : 1),
  outageMs: whole('RELIABILITY_OUTAGE_MS', 8000),
  /** Generated requests of the fuzz run and their concurrency. */
  fuzzRuns: scaled('RELIABILITY_FUZZ_RUNS', 10_000),
  fuzzConcurrency: whole('RELIABILITY_FUZZ_CONCURRENCY', 16),
  /** Requests per fuzz batch: the database is diffed around each batch. */
  fuzzBatch: whole('RELIABILITY_FUZZ_BATCH', 250),
};

/** fast-check seed: fixed by default so a failure can be replayed; RELIABILITY_SEED changes it. */
export const SEED = Math.round(positive('RELIABILITY_SEED', 20_261_128));

/** Keep the run's logs and secrets list (in the OS temp dir) after a successful run. */
export const KEEP_LOGS = process.env.RELIABILITY_KEEP_LOGS === '1';
