import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  decodeUtf8,
  isPlainObject,
  type JsonExactValue,
  JsonInputError,
  parseJson,
} from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';
import { Interrupted, unlessInterrupted } from './interrupt.js';
import type { CliIo } from './io.js';

/**
 * All of stdin. Read asynchronously, so Ctrl-C still stops a command waiting for a document
 * typed on the terminal (a synchronous read would hold the event loop and the signal with it).
 */
async function readStdin(io: CliIo): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (io.stdin === undefined) return Buffer.alloc(0);
  const { stdin } = io;
  await unlessInterrupted(async () => {
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
  }, io.signal);
  return Buffer.concat(chunks);
}

/**
 * Reads a file (relative to the run's directory), or stdin for `-`, as strict UTF-8; an
 * unreadable file is invalid input, not a crash.
 */
async function readText(path: string, what: string, io: CliIo): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = path === '-' ? await readStdin(io) : readFileSync(resolve(io.cwd, path));
  } catch (error) {
    if (error instanceof Interrupted) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
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
  const { value } = fromFile ? await readJsonFile(option.slice(1), io) : parse(option, '--data');
  if (!isPlainObject(value)) {
    throw new ServiceError('invalid', '--data must be a JSON object, e.g. --data \'{"progress": "50%"}\'');
  }
  return value;
}
