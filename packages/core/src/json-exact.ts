/**
 * A strict JSON parser (RFC 8259) that keeps what JSON.parse loses and Python's json.loads keeps: whether a
 * number was written as a float (`1.0`, `1e2`) and the digits of integers beyond 2^53. Identity strings are
 * computed from what Python saw, so callers holding the raw body text parse it with this.
 */

const NUMBER_LITERAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const NUMBER_AT = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Deeper nesting is refused rather than risking the stack (Python's own limit is near 1000). */
export const MAX_JSON_DEPTH = 512;

/**
 * A number literal that a JS number cannot stand for: a Python float that is integral in JS (`1.0`, `-0.0`,
 * `1e21`), or an integer beyond the safe range. Rendered by pythonJsonDumps / pythonStr as Python would.
 */
export class JsonNumber {
  constructor(readonly literal: string) {
    if (!NUMBER_LITERAL.test(literal)) throw new SyntaxError(`Not a JSON number literal: ${literal}`);
  }

  /** json.loads makes a float of literals with a fraction or exponent, an int of the rest. */
  get isFloat(): boolean {
    return /[.eE]/.test(this.literal);
  }

  /** The nearest JS number, as JSON.parse would have returned. */
  valueOf(): number {
    return Number(this.literal);
  }

  toJSON(): number {
    return Number(this.literal);
  }

  toString(): string {
    return this.literal;
  }
}

export type JsonExactValue =
  | null
  | boolean
  | number
  | string
  | JsonNumber
  | JsonExactValue[]
  | { [key: string]: JsonExactValue };

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const LITERALS: readonly (readonly [string, JsonExactValue])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** Parse JSON text; throws SyntaxError naming the position of the first problem. */
export function parseJsonExact(text: string): JsonExactValue {
  let pos = 0;

  const fail = (expected: string): never => {
    const found = pos < text.length ? `unexpected ${JSON.stringify(text[pos])}` : 'unexpected end of input';
    throw new SyntaxError(`Invalid JSON at position ${pos}: ${found}, expected ${expected}`);
  };

  const skipWhitespace = (): void => {
    for (let c = text.charCodeAt(pos); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; ) {
      c = text.charCodeAt(++pos);
    }
  };

  const expect = (char: string): void => {
    skipWhitespace();
    if (text[pos] !== char) fail(`'${char}'`);
    pos++;
  };

  const parseNumber = (): JsonExactValue => {
    NUMBER_AT.lastIndex = pos;
    const literal = NUMBER_AT.exec(text)?.[0] ?? fail('a number');
    pos += literal.length;
    const value = Number(literal);
    const isFloat = /[.eE]/.test(literal);
    const lossy = isFloat ? Number.isInteger(value) : !Number.isSafeInteger(value);
    return lossy ? new JsonNumber(literal) : value;
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let start = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (Number.isNaN(c) || c < 0x20) fail('a closing quote');
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(start, pos);
      const escaped = text[pos + 1] ?? '';
      if (escaped === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!HEX4.test(hex)) {
          pos += 2;
          fail('4 hex digits');
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else {
        const decoded = ESCAPES[escaped];
        if (decoded === undefined) {
          pos++;
          fail('an escape character');
        }
        out += decoded;
        pos += 2;
      }
      start = pos;
    }
    out += text.slice(start, pos);
    pos++; // closing quote
    return out;
  };

  const parseArray = (depth: number): JsonExactValue[] => {
    pos++;
    const items: JsonExactValue[] = [];
    skipWhitespace();
    if (text[pos] === ']') {
      pos++;
      return items;
    }
    for (;;) {
      items.push(parseValue(depth));
      skipWhitespace();
      if (text[pos] === ']') break;
      if (text[pos] !== ',') fail("',' or ']'");
      pos++;
    }
    pos++;
    return items;
  };

  const parseObject = (depth: number): { [key: string]: JsonExactValue } => {
    pos++;
    const object: { [key: string]: JsonExactValue } = {};
    skipWhitespace();
    if (text[pos] === '}') {
      pos++;
      return object;
    }
    for (;;) {
      skipWhitespace();
      if (text[pos] !== '"') fail('a string key');
      const key = parseString();
      expect(':');
      // defineProperty, like JSON.parse, so a "__proto__" key is data and not the prototype.
      Object.defineProperty(object, key, {
        value: parseValue(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      skipWhitespace();
      if (text[pos] === '}') break;
      if (text[pos] !== ',') fail("',' or '}'");
      pos++;
    }
    pos++;
    return object;
  };

  const parseValue = (depth: number): JsonExactValue => {
    skipWhitespace();
    const c = text[pos];
    if (c === '{' || c === '[') {
      if (depth >= MAX_JSON_DEPTH) fail(`nesting no deeper than ${MAX_JSON_DEPTH}`);
      return c === '{' ? parseObject(depth + 1) : parseArray(depth + 1);
    }
    if (c === '"') return parseString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return parseNumber();
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    return fail('a JSON value');
  };

  const result = parseValue(0);
  skipWhitespace();
  if (pos < text.length) fail('end of input');
  return result;
}
