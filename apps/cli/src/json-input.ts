import { readFileSync } from 'node:fs';
import {
  decodeUtf8,
  isPlainObject,
  type JsonExactValue,
  JsonInputError,
  parseJson,
} from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';

/** Reads a file (or stdin for `-`) as strict UTF-8; an unreadable file is invalid input, not a crash. */
function readText(path: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (error) {
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
export function readJsonFile(path: string): { value: unknown; exact: JsonExactValue } {
  const what = path === '-' ? 'stdin' : path;
  return parse(readText(path, what), what);
}

/** `--data '{"a": 1}'` or `--data @file.json` (`@-` for stdin): the event's data, a JSON object. */
export function eventData(option: string | undefined): Record<string, unknown> | undefined {
  if (option === undefined) return undefined;
  const fromFile = option.startsWith('@');
  const { value } = fromFile ? readJsonFile(option.slice(1)) : parse(option, '--data');
  if (!isPlainObject(value)) {
    throw new ServiceError('invalid', '--data must be a JSON object, e.g. --data \'{"progress": "50%"}\'');
  }
  return value;
}
