import {
  asServiceError,
  jobUuidInput,
  type OpenStream,
  openEventStream,
  parseStreamFilter,
  type StreamEnd,
  type StreamMessage,
  type StreamRequest,
} from '@pipelinejobs/service';
import type { Command } from 'commander';
import type { Style } from '../ansi.js';
import { Interrupted, unlessInterrupted } from '../interrupt.js';
import type { Invocation } from '../invocation.js';
import { withServices } from '../session.js';
import { STATE_COLORS } from '../state-colors.js';
import { truncate } from '../table.js';
import { asOptions, UsageError } from '../usage-error.js';

interface WatchOptions {
  after?: string;
  pipeline?: string;
  state?: string;
  event?: string;
}

/** The waits before trying again after the database was lost: doubling up to 30 s. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

const pad = (text: string, width: number) =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);

/** One event as a table row, the columns of `jobs history` (and the job on the global stream). */
function row(message: StreamMessage, style: Style, global: boolean): string {
  const e = message.data;
  const cells = [
    ...(global && 'job_uuid' in e ? [e.job_uuid] : []),
    pad(String(e.seq), 5),
    style.bold(pad(e.name, 10)),
    pad(e.from, 10),
    style[STATE_COLORS[e.to]](pad(e.to, 10)),
    pad(e.source, 8),
    e.date,
    e.data === null ? '' : truncate(JSON.stringify(e.data), 60),
  ];
  return cells.join('  ').trimEnd();
}

function header(style: Style, global: boolean): string {
  const cells = [
    ...(global ? [pad('JOB', 36)] : []),
    pad('SEQ', 5),
    pad('EVENT', 10),
    pad('FROM', 10),
    pad('TO', 10),
    pad('SOURCE', 8),
    pad('WHEN', 24),
    'DATA',
  ];
  return style.dim(cells.join('  ').trimEnd());
}

function endNote(end: StreamEnd): string {
  if (end.reason === 'deleted') return `Job ${end.uuid} was deleted: nothing more to watch.`;
  return `The stream ended (${end.reason}).`;
}

/**
 * `watch [uuid]`: events as they are written, from the database through the service's stream
 * (the one a Manager serves over SSE): a job's whole history then what follows, or every job's
 * from now, filtered. A lost database is waited for, with backoff, and the stream resumes after
 * the last event printed. Runs until Ctrl-C (or the job is deleted).
 */
export function registerWatch(program: Command, invocation: Invocation): void {
  program
    .command('watch')
    .description("print events as they happen: a job's (its history first) or every job's (from now)")
    .argument('[uuid]', 'the job UUID (107...); without it, every job')
    .option('--after <id>', 'resume after this event id (a seq for one job, as printed with --json for all)')
    .option('--pipeline <uuid>', 'every job: only this pipeline’s (106...)')
    .option('--state <states>', 'every job: only events into these states (comma-separated)')
    .option('--event <events>', 'every job: only these events (comma-separated)')
    .addHelpText('after', '\nWith --json, one JSON object per line and event: {"id", "event", "data"}.')
    .action(async (uuid: string | undefined, options: WatchOptions, command: Command) => {
      const jobUuid = uuid === undefined ? undefined : jobUuidInput(uuid);
      const filter = asOptions(() =>
        parseStreamFilter({ pipeline_uuid: options.pipeline, state: options.state, event: options.event }),
      );
      if (jobUuid !== undefined && Object.keys(filter).length > 0) {
        throw new UsageError(
          "--pipeline, --state and --event filter every job's events: leave them out with a job UUID",
        );
      }
      const { signal } = invocation.io;
      // The stream's timers do not hold a process open (a Manager's must not delay its exit), and
      // with the database away no connection does either: without this the watch would end, with
      // 0 and without a word, when the database went away, instead of waiting for it.
      const alive = setInterval(() => {}, 60_000);
      try {
        await watchWith(invocation, command, { jobUuid, filter, after: options.after, signal });
      } finally {
        clearInterval(alive);
      }
    });
}

async function watchWith(
  invocation: Invocation,
  command: Command,
  options: {
    jobUuid: ReturnType<typeof jobUuidInput> | undefined;
    filter: ReturnType<typeof parseStreamFilter>;
    after: string | undefined;
    signal: AbortSignal | undefined;
  },
): Promise<void> {
  const { jobUuid, filter, signal } = options;
  await withServices(invocation, command, async ({ services, out, operator }) => {
    const global = jobUuid === undefined;
    let after = options.after;
    let printedHeader = false;
    // The header as soon as the stream is open (or with its first event, replayed before).
    const printHeader = () => {
      if (out.json || printedHeader) return;
      out.line(header(out.style, global));
      printedHeader = true;
    };
    const print = (message: StreamMessage) => {
      after = message.id;
      if (out.json) {
        if (!signal?.aborted) invocation.io.stdout.write(`${JSON.stringify(message)}\n`);
        return;
      }
      printHeader();
      out.line(row(message, out.style, global));
    };
    let retryMs = FIRST_RETRY_MS;
    for (;;) {
      const request: StreamRequest = jobUuid
        ? { kind: 'job', jobUuid, after }
        : { kind: 'global', ...filter, after };
      let stream: OpenStream | undefined;
      try {
        const ended = await unlessInterrupted(
          () =>
            new Promise<StreamEnd>((resolve, reject) => {
              openEventStream(services, operator, request, {
                send: (message) => {
                  retryMs = FIRST_RETRY_MS;
                  print(message);
                  return true;
                },
                heartbeat: () => true,
                place: (id) => {
                  after = id;
                },
                end: resolve,
              }).then((opened) => {
                stream = opened;
                printHeader();
              }, reject);
            }),
          signal,
        );
        out.note(endNote(ended));
        if (ended.reason === 'deleted') return;
      } catch (error) {
        if (error instanceof Interrupted) throw error;
        const refusal = asServiceError(error);
        if (refusal.code !== 'unavailable') throw refusal;
        out.note(`${refusal.message}; trying again in ${Math.round(retryMs / 1000)} s`);
      } finally {
        stream?.close();
      }
      await unlessInterrupted(() => new Promise((resolve) => setTimeout(resolve, retryMs)), signal);
      retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    }
  });
}
