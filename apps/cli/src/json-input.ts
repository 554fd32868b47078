import { readFileSync } from 'node:fs';
import { isPlainObject } from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';

/** Reads a file (or stdin for `-`); an unreadable file is invalid input, not a crash. */
function readText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new ServiceError('invalid', `${path}: ${reason}`, {}, { cause: error });
  }
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'not JSON';
    throw new ServiceError('invalid', `${what} is not valid JSON: ${reason}`, {}, { cause: error });
  }
}

/**
 * A JSON document from a file; the text is kept too, because job identity is computed from the
 * exact text (1.0 and 1 differ).
 */
export function readJsonFile(path: string): { value: unknown; text: string } {
  const text = readText(path);
  return { value: parse(text, path === '-' ? 'stdin' : path), text };
}

/** `--data '{"a": 1}'` or `--data @file.json` (`@-` for stdin): the event's data, a JSON object. */
export function eventData(option: string | undefined): Record<string, unknown> | undefined {
  if (option === undefined) return undefined;
  const fromFile = option.startsWith('@');
  const value = fromFile ? readJsonFile(option.slice(1)).value : parse(option, '--data');
  if (!isPlainObject(value)) {
    throw new ServiceError('invalid', '--data must be a JSON object, e.g. --data \'{"progress": "50%"}\'');
  }
  return value;
}
