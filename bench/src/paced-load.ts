import { connect, type Socket } from 'node:net';
import type { RunResult } from './run-result.js';
import { Samples } from './stats.js';

export interface PacedLoad {
  url: string;
  apiKey: string;
  path: string;
  /** Requests per second, sent at even intervals whatever the responses do (open loop). */
  rate: number;
  /** Keep-alive connections; a request due while all are busy waits, and that wait counts. */
  connections: number;
  seconds: number;
  body: () => string;
}

/**
 * An open-loop load at a fixed rate. autocannon's `overallRate` is a per-second quota per
 * connection: each connection sends its share back to back at the start of every second, so at
 * "80% of peak" it is at full load for ~80% of each second, and its latency is measured from
 * when a request was sent, not from when it was due. Here request i is due at start + i/rate and
 * its latency is measured from that due time, so a stall is charged to every request it delays
 * (no coordinated omission).
 *
 * The client is a minimal HTTP/1.1 keep-alive client on raw sockets rather than node:http: on
 * two cores the load generator competes with the Manager for CPU, and node:http cost about 2.5x
 * autocannon's CPU per request.
 */
export async function runPaced(load: PacedLoad): Promise<RunResult> {
  const target = new URL(load.url);
  const head = (length: number) =>
    `POST ${load.path} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${load.apiKey}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  const samples = new Samples();
  const total = Math.floor(load.rate * load.seconds);
  const interval = 1000 / load.rate;
  const waiting: number[] = []; // due times of requests no connection was free for
  const idle: Connection[] = [];
  const all: Connection[] = [];
  let ok = 0;
  let errors = 0;
  let done = 0;
  const started = performance.now();

  await new Promise<void>((resolve, reject) => {
    const send = (conn: Connection, due: number) => {
      const body = load.body();
      conn.due = due;
      conn.socket.write(head(Buffer.byteLength(body)) + body);
    };
    const onResponse = (conn: Connection, status: number) => {
      if (status < 300) {
        ok += 1;
        samples.push(performance.now() - conn.due);
      } else errors += 1;
      done += 1;
      if (done === total) return resolve();
      const due = waiting.shift();
      if (due === undefined) idle.push(conn);
      else send(conn, due);
    };
    const conns = Array.from({ length: load.connections }, () => {
      const conn = new Connection(connect(Number(target.port), target.hostname), onResponse);
      conn.socket.on('error', reject);
      return conn;
    });
    all.push(...conns);
    idle.push(...conns);
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && started + next * interval <= now) {
        const due = started + interval * next++;
        const conn = idle.pop();
        if (conn) send(conn, due);
        else waiting.push(due);
      }
      if (next < total) setTimeout(tick, Math.max(0, started + next * interval - performance.now()));
    };
    tick();
  }).finally(() => {
    for (const conn of all) conn.socket.destroy();
  });
  const seconds = (performance.now() - started) / 1000;
  const [p50 = Number.NaN, p99 = Number.NaN] = samples.percentiles(50, 99);
  return {
    engine: 'manager',
    events: ok,
    seconds,
    wallSeconds: seconds,
    eventsPerSecond: ok / seconds,
    p50,
    p99,
    errors,
  };
}

/** One keep-alive connection with at most one request in flight; parses just enough HTTP/1.1. */
class Connection {
  due = 0;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    readonly socket: Socket,
    private readonly onResponse: (conn: Connection, status: number) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
  }

  private parse(): void {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
    let complete: number;
    if (length !== undefined) {
      complete = end + 4 + Number(length);
    } else {
      // Chunked: the body ends with the zero-length chunk.
      const last = this.buffer.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return;
      complete = last + 7;
    }
    if (this.buffer.length < complete) return;
    this.buffer = this.buffer.subarray(complete);
    this.onResponse(this, status);
  }
}
