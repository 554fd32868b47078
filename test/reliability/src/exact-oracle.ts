/**
 * An oracle for "no silently altered value", written independently of core's parser: a small JSON
 * reader that keeps every number as its literal and every object as its list of members (so a
 * repeated key is seen), and a comparison of what was sent with what PostgreSQL holds.
 */

export type Exact =
  | { kind: 'number'; literal: string }
  | { kind: 'string'; value: string }
  | { kind: 'literal'; value: boolean | null }
  | { kind: 'array'; items: Exact[] }
  | { kind: 'object'; members: [string, Exact][] };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters
const STRING = /"((?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*)"/y;
const SPACE = /[ \t\n\r]*/y;

/** Reads JSON text; undefined when it is not JSON (then the server must have refused it anyway). */
export function readExact(text: string): Exact | undefined {
  let pos = 0;
  const skip = () => {
    SPACE.lastIndex = pos;
    SPACE.exec(text);
    pos = SPACE.lastIndex;
  };
  const value = (depth: number): Exact => {
    if (depth > 10_000) throw new SyntaxError('too deep');
    skip();
    const c = text[pos];
    if (c === '{' || c === '[') {
      pos++;
      const close = c === '{' ? '}' : ']';
      const members: [string, Exact][] = [];
      const items: Exact[] = [];
      skip();
      if (text[pos] === close) pos++;
      else
        for (;;) {
          if (c === '{') {
            skip();
            const key = value(depth + 1);
            if (key.kind !== 'string') throw new SyntaxError('key');
            skip();
            if (text[pos++] !== ':') throw new SyntaxError(':');
            members.push([key.value, value(depth + 1)]);
          } else items.push(value(depth + 1));
          skip();
          const next = text[pos++];
          if (next === close) break;
          if (next !== ',') throw new SyntaxError(',');
        }
      return c === '{' ? { kind: 'object', members } : { kind: 'array', items };
    }
    if (c === '"') {
      STRING.lastIndex = pos;
      const match = STRING.exec(text);
      if (!match) throw new SyntaxError('string');
      pos = STRING.lastIndex;
      return { kind: 'string', value: JSON.parse(match[0]) as string };
    }
    for (const [word, literal] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return { kind: 'literal', value: literal };
      }
    }
    NUMBER.lastIndex = pos;
    const number = NUMBER.exec(text);
    if (!number) throw new SyntaxError('value');
    pos = NUMBER.lastIndex;
    return { kind: 'number', literal: number[0] };
  };
  try {
    const result = value(0);
    skip();
    return pos === text.length ? result : undefined;
  } catch {
    return undefined;
  }
}

export function member(value: Exact | undefined, key: string): Exact | undefined {
  return value?.kind === 'object' ? value.members.find(([k]) => k === key)?.[1] : undefined;
}

/** Whether a number literal was sent as an integer (Python's int) rather than a float. */
const isInteger = (literal: string) => !/[.eE]/.test(literal);

/** What a sent number became, if that is not what it is: undefined when it is kept. */
function numberChange(sent: string, stored: Exact): string | undefined {
  const value = Number(sent);
  if (!Number.isFinite(value)) return 'an infinite number was accepted';
  if (value === 0 && /[1-9]/.test(sent.split(/[eE]/)[0] ?? '')) return 'a non-zero number became 0';
  if (stored.kind !== 'number') return `a number was stored as a ${stored.kind}`;
  if (isInteger(sent)) {
    // An integer is kept digit for digit: PostgreSQL numbers are exact decimals.
    return isInteger(stored.literal) && BigInt(stored.literal) === BigInt(sent)
      ? undefined
      : 'an integer was stored as another number';
  }
  // A float is the nearest double, as in every JSON reader; the sign of zero is not kept.
  return Number(stored.literal) === value ? undefined : 'a float was stored as another number';
}

/**
 * Every place where the stored document holds something other than what was sent, comparing the
 * members both have (forms may leave members out, or redact a secret in a string). A repeated key
 * anywhere in what was sent is itself an alteration: one of its values was dropped.
 */
export function alterations(sent: Exact, stored: Exact, path = ''): string[] {
  if (sent.kind === 'number') {
    const change = numberChange(sent.literal, stored);
    return change ? [`${path || '/'}: ${change}`] : [];
  }
  if (sent.kind === 'string') {
    if (stored.kind !== 'string') return [`${path || '/'}: a string was stored as a ${stored.kind}`];
    const kept = stored.value === sent.value || stored.value.includes('[REDACTED]');
    return kept ? [] : [`${path || '/'}: a string was stored with other characters`];
  }
  if (sent.kind === 'array') {
    if (stored.kind !== 'array') return [];
    return sent.items.flatMap((item, i) => {
      const other = stored.items[i];
      return other ? alterations(item, other, `${path}/${i}`) : [];
    });
  }
  if (sent.kind === 'object') {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const [key, value] of sent.members) {
      if (seen.has(key)) out.push(`${path}/${key}: a repeated key was accepted`);
      seen.add(key);
      const other = member(stored, key);
      if (other) out.push(...alterations(value, other, `${path}/${key}`));
    }
    return out;
  }
  return [];
}
