import {
  jobUuidInput,
  type OpenStream,
  openEventStream,
  parseStreamFilter,
  type StreamEnd,
  type StreamMessage,
  type StreamRequest,
  type StreamSettings,
} from '@pipelinejobs/service';
import type { Request, Response, Router } from 'express';
import { accepts, authenticated, type RouteContext, single } from './context.js';

/** How long a consumer disconnected for being slow has to take its last comment. */
const LAST_WORDS_MS = 1000;

/** Each message framed once, whatever the number of streams it goes to. */
const frames = new WeakMap<StreamMessage, string>();

function frame(message: StreamMessage): string {
  let text = frames.get(message);
  if (text === undefined) {
    text = `id: ${message.id}\nevent: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
    frames.set(message, text);
  }
  return text;
}

/** Where the consumer stopped: Last-Event-ID (an EventSource reconnecting) over `?after=`. */
function resumeFrom(req: Request): string | undefined {
  const header = req.headers['last-event-id'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return single(req, 'after');
}

function endComment(end: StreamEnd): string {
  switch (end.reason) {
    case 'deleted':
      return `job ${end.uuid} was deleted: this stream ends`;
    case 'slow_consumer':
      return `disconnected: more than ${end.maxBufferedBytes} bytes were waiting to be read; reconnect with Last-Event-ID to resume`;
    case 'revoked':
      return 'the credential of this stream was revoked or expired: this stream ends';
    case 'shutdown':
      return 'the Manager is shutting down: reconnect with Last-Event-ID to resume';
  }
}

/**
 * Serves a stream as Server-Sent Events: the service feeds it, this frames it (`id:`, `event:`,
 * `data:` as one JSON line, heartbeat comments, `retry:`) and watches the socket: a consumer
 * with more than `maxBufferedBytes` unsent is disconnected with a last comment, never buffered
 * for. The headers go out with the first event or once the stream is open, so that a refusal
 * before (a missing job, the cap) is a problem document with its status.
 */
async function serveStream(
  ctx: Pick<RouteContext, 'services'>,
  res: Response,
  request: StreamRequest,
  settings: Pick<StreamSettings, 'maxBufferedBytes' | 'retryMs'>,
  principal: Parameters<typeof openEventStream>[1],
  method: string,
): Promise<void> {
  if (method === 'HEAD') {
    // What a GET would answer, its headers alone: the checks of an opening, and no stream held
    // open (a HEAD has no body to feed, so it would be held, and counted, until the client left).
    await openEventStream(
      ctx.services,
      principal,
      request,
      { send: () => false, heartbeat: () => false, end: () => {} },
      { probe: true },
    );
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.end();
    return;
  }
  let ended = false;
  const start = () => {
    if (res.headersSent) return;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${settings.retryMs}\n\n`);
  };
  const write = (text: string) => {
    if (ended || res.destroyed) return false;
    start();
    res.write(text);
    return res.writableLength <= settings.maxBufferedBytes;
  };
  const finish = (comment: string | undefined) => {
    if (ended) return;
    ended = true;
    if (res.destroyed) return;
    start();
    const { socket } = res;
    res.end(comment === undefined ? undefined : `: ${comment}\n\n`);
    // A consumer that does not read does not get to hold the socket (and its buffer) either; one
    // that took it all keeps its connection.
    const gone = setTimeout(() => socket?.destroy(), LAST_WORDS_MS);
    gone.unref();
    res.once('finish', () => clearTimeout(gone));
  };
  let stream: OpenStream | undefined;
  let closed = false;
  res.once('close', () => {
    closed = true;
    ended = true;
    stream?.close();
  });
  try {
    stream = await openEventStream(ctx.services, principal, request, {
      send: (message: StreamMessage) => write(frame(message)),
      heartbeat: () => write(': heartbeat\n\n'),
      // An id with no data: an EventSource (and client.watch) resumes from it.
      place: (id) => write(`id: ${id}\n\n`),
      end: (end) => finish(endComment(end)),
    });
  } catch (error) {
    // Refused before anything was sent: the problem document; else the stream just ends.
    if (!res.headersSent) throw error;
    finish(undefined);
    return;
  }
  if (closed) stream.close();
  else start();
}

export function streamRoutes(router: Router, ctx: RouteContext, settings: StreamSettings): void {
  router.get('/jobs/:uuid/events/stream', accepts('after'), async (req, res) => {
    const uuid = jobUuidInput(req.params.uuid);
    const principal = await authenticated(ctx, req, uuid);
    await serveStream(
      ctx,
      res,
      { kind: 'job', jobUuid: uuid, after: resumeFrom(req) },
      settings,
      principal,
      req.method,
    );
  });
  router.get('/events/stream', accepts('after', 'pipeline_uuid', 'state', 'event'), async (req, res) => {
    // A nonce scoped to a job is refused here, as on every route that names no job.
    const principal = await authenticated(ctx, req);
    const filter = parseStreamFilter(req.query);
    await serveStream(
      ctx,
      res,
      { kind: 'global', ...filter, after: resumeFrom(req) },
      settings,
      principal,
      req.method,
    );
  });
}
