import type { DestinationStream } from 'pino';

const LEVELS: Readonly<Record<number, { name: string; color: string }>> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/** What every line carries and the readable form shows in its own place (or not at all). */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[\w./:@-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/**
 * One pino JSON line as a person reads it: `12:03:04.567 INFO  request method=GET url=/jobs ...`,
 * an error's stack indented below. The same redacted fields as the JSON: this only reformats it.
 */
export function prettyLine(json: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), color: '0' };
  const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
  const name = color ? `\u001b[${level.color}m${level.name}\u001b[0m` : level.name;
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, v]) => `${key}=${value(v)}`);
  let line = [time, name, String(entry.msg ?? ''), ...fields].join(' ').trimEnd();
  const err = entry.err as { message?: string; stack?: string } | undefined;
  if (err) line += `\n    ${(err.stack || err.message || '').split('\n').join('\n    ')}`;
  return `${line}\n`;
}

/** A pino destination writing readable lines to `stream` (stdout on a terminal). */
export function prettyDestination(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  options: { color?: boolean } = {},
): DestinationStream {
  const color = options.color ?? stream.isTTY === true;
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) stream.write(prettyLine(line, color));
    },
  };
}
