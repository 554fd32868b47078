import { parseArgs } from 'node:util';
import type { CaseName } from './compare.js';

export interface BenchOptions {
  /** A server to create the bench database on; undefined: an embedded PostgreSQL for the run. */
  databaseUrl: string | undefined;
  jobs: number;
  /** History rows per loaded job (create, run, then updates). */
  history: number;
  concurrency: number[];
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** The Manager's PostgreSQL pool (PIPELINEJOBS_POOL_SIZE). */
  poolSize: number;
  scale: boolean;
  sizes: number[];
  /** Requests of the GET /jobs listing measurement in scale mode. */
  listRequests: number;
  /** Also run the Manager under `node --cpu-prof` for one distinct-jobs round and summarise it. */
  profile: boolean;
  /** A/B mode: another checkout (installed and built) whose Manager runs against this one's. */
  ab: string | undefined;
  /** The cases of the A/B mode. */
  cases: CaseName[];
}

const USAGE = `Usage: pnpm bench [flags]

  --database-url URL   create the bench database on this server (default: env DATABASE_URL,
                       else an embedded PostgreSQL started for the run)
  --jobs N             jobs to load (default 10000)
  --history H          history rows per job (default 3; 10 in scale mode)
  --concurrency LIST   client concurrencies, e.g. 8,32 (default 8,32)
  --duration S         seconds per measured run (default 10)
  --rounds R           rounds of alternating pgbench/Manager runs (default 2)
  --warmup S           unmeasured seconds of each engine before the rounds (default 3)
  --pool-size P        the Manager's PostgreSQL pool size (default 8)
  --scale              scale mode: the distinct-jobs measurement at several sizes
  --sizes LIST         sizes for scale mode (default 10000,100000,1000000; implies --scale)
  --list-requests N    GET /jobs requests per size in scale mode (default 200)
  --profile            also profile the Manager (node --cpu-prof) for one round
  --ab DIR             A/B mode: this checkout's Manager against the one built in DIR (another
                       checkout), A B B A per round, with PostgreSQL transactions per event
  --cases LIST         the A/B mode's cases: distinct,hot (default both)
  --help               this text
`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a whole number >= 1, got '${raw}'`);
  return value;
}

function intList(name: string, raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined) return fallback;
  return raw.split(',').map((part) => positiveInt(name, part.trim(), 0));
}

function caseList(raw: string | undefined): CaseName[] {
  if (raw === undefined) return ['distinct', 'hot'];
  return raw.split(',').map((part) => {
    const name = part.trim();
    if (name !== 'distinct' && name !== 'hot')
      throw new Error(`--cases takes distinct and hot, not '${name}'`);
    return name;
  });
}

/** Parses the flags; prints usage and exits on --help. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  // `pnpm bench -- --scale` passes a literal `--` through: drop it.
  const args = argv.filter((a) => a !== '--');
  const { values } = parseArgs({
    args,
    options: {
      'database-url': { type: 'string' },
      jobs: { type: 'string' },
      history: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      'pool-size': { type: 'string' },
      scale: { type: 'boolean' },
      sizes: { type: 'string' },
      'list-requests': { type: 'string' },
      profile: { type: 'boolean' },
      ab: { type: 'string' },
      cases: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const scale = values.scale === true || values.sizes !== undefined;
  // Each mode reads only its own flags: one given to another mode would be ignored without a word.
  if (values.ab !== undefined && (scale || values.profile)) {
    throw new Error('--ab runs the A/B mode alone: not with --scale, --sizes or --profile');
  }
  if (values.cases !== undefined && values.ab === undefined) throw new Error('--cases is for --ab only');
  const history = positiveInt('history', values.history, scale ? 10 : 3);
  if (history < 3) throw new Error('--history must be at least 3 (create, run, update)');
  return {
    databaseUrl: values['database-url'] ?? (env.DATABASE_URL || undefined),
    jobs: positiveInt('jobs', values.jobs, 10_000),
    history,
    concurrency: intList('concurrency', values.concurrency, [8, 32]),
    durationSeconds: positiveInt('duration', values.duration, 10),
    rounds: positiveInt('rounds', values.rounds, 2),
    warmupSeconds: values.warmup === '0' ? 0 : positiveInt('warmup', values.warmup, 3),
    poolSize: positiveInt('pool-size', values['pool-size'], 8),
    scale,
    sizes: intList('sizes', values.sizes, [10_000, 100_000, 1_000_000]),
    listRequests: positiveInt('list-requests', values['list-requests'], 200),
    profile: values.profile === true,
    ab: values.ab,
    cases: caseList(values.cases),
  };
}
