import { closeSync, constants, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeUtf8,
  isPlainObject,
  type JsonExactValue,
  JsonInputError,
  MAX_JSON_BYTES,
  parseJson,
} from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';
import { Interrupted, unlessInterrupted } from './interrupt.js';
import type { CliIo } from './io.js';

const tooLarge = (what: string) =>
  new ServiceError(
    'too_large',
    `${what} is larger than ${MAX_JSON_BYTES} bytes (1 MiB), the most a document may be (as over HTTP): send less data`,
  );

/**
 * All of a stream, up to MAX_JSON_BYTES: a larger one (`--data @/dev/zero`, a huge file) is
 * refused as soon as it passes the limit, never read whole. Read asynchronously, so Ctrl-C still
 * stops a command waiting on a terminal or a FIFO nobody writes to (a synchronous read would hold
 * the event loop and the signal with it).
 */
async function readBounded(
  stream: AsyncIterable<Uint8Array | string> & { destroy?: () => void },
  what: string,
  io: CliIo,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  await unlessInterrupted(async () => {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      size += bytes.length;
      if (size > MAX_JSON_BYTES) {
        stream.destroy?.();
        throw tooLarge(what);
      }
      chunks.push(bytes);
    }
  }, io.signal);
  return Buffer.concat(chunks);
}

/**
 * A FIFO or a device (`--data @fifo`, `@/dev/stdin` on a terminal), read without ever blocking a
 * thread: opening a FIFO waits for a writer, and a thread of Node's pool stuck there also holds
 * the process at exit, so even a second Ctrl-C could not end it. Opened non-blocking and polled
 * instead, up to MAX_JSON_BYTES; the end is the writers closing after they wrote (until the first
 * byte, no writer yet and a writer gone look the same, and are waited for).
 */
async function readDevice(file: string, what: string, io: CliIo): Promise<Buffer> {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      if (io.signal?.aborted) throw new Interrupted();
      let read: number;
      try {
        read = readSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        read = -1;
      }
      if (read > 0) {
        size += read;
        if (size > MAX_JSON_BYTES) throw tooLarge(what);
        chunks.push(Buffer.from(chunk.subarray(0, read)));
      } else if (read === 0 && size > 0) {
        return Buffer.concat(chunks);
      } else {
        await sleep(20);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a file (relative to the run's directory), or stdin for `-`, as strict UTF-8 and at most
 * MAX_JSON_BYTES; an unreadable file is invalid input, not a crash.
 */
async function readText(path: string, what: string, io: CliIo): Promise<string> {
  let bytes: Buffer;
  try {
    if (path === '-') {
      bytes = io.stdin === undefined ? Buffer.alloc(0) : await readBounded(io.stdin, what, io);
    } else {
      const file = resolve(io.cwd, path);
      const stats = statSync(file);
      bytes =
        stats.isFIFO() || stats.isCharacterDevice()
          ? await readDevice(file, what, io)
          : await readBounded(createReadStream(file), what, io);
    }
  } catch (error) {
    if (error instanceof Interrupted || error instanceof ServiceError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : `cannot be read (${code ?? 'error'})`;
    throw new ServiceError('invalid', `${path}: ${reason}`, {}, { cause: error });
  }
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) {
    throw new ServiceError(
      'invalid',
      `${what} is not valid UTF-8: the byte at offset ${decoded.offset} does not begin a UTF-8 sequence; save it as UTF-8`,
    );
  }
  return decoded.text;
}

/** The one parse of a document, with the same strict rules as the HTTP edge (core's parseJson). */
function parse(text: string, what: string): { value: unknown; exact: JsonExactValue } {
  try {
    return parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'not JSON';
    const errors = error instanceof JsonInputError && error.code !== 'syntax' ? { errors: error.issues } : {};
    throw new ServiceError('invalid', `${what} is not valid JSON: ${reason}`, errors, { cause: error });
  }
}

/**
 * A JSON document from a file: its plain value, and the exact one, because job identity is computed
 * from the exact document (1.0 and 1 differ).
 */
export async function readJsonFile(
  path: string,
  io: CliIo,
): Promise<{ value: unknown; exact: JsonExactValue }> {
  const what = path === '-' ? 'stdin' : path;
  return parse(await readText(path, what, io), what);
}

/** `--data '{"a": 1}'` or `--data @file.json` (`@-` for stdin): the event's data, a JSON object. */
export async function eventData(
  option: string | undefined,
  io: CliIo,
): Promise<Record<string, unknown> | undefined> {
  if (option === undefined) return undefined;
  const fromFile = option.startsWith('@');
  if (!fromFile && Buffer.byteLength(option) > MAX_JSON_BYTES) throw tooLarge('--data');
  const { value } = fromFile ? await readJsonFile(option.slice(1), io) : parse(option, '--data');
  if (!isPlainObject(value)) {
    throw new ServiceError('invalid', '--data must be a JSON object, e.g. --data \'{"progress": "50%"}\'');
  }
  return value;
}
