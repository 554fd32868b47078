import { JsonInputError, type JsonIssue } from './json-input-error.js';
import { jsonPointer } from './json-pointer.js';

/**
 * The one JSON parser of the Manager's input: strict RFC 8259, and exact. Every body is parsed once, here,
 * into two views of one parse: `value`, what JSON.parse would give, for validation and storage; and `exact`,
 * which keeps what JSON.parse loses and Python's json.loads keeps (whether a number was written as a float,
 * `1.0` vs `1`), for the job identity, computed from what Python saw.
 *
 * Refused, so that what is stored is what was sent:
 * - a key given twice in one object (JSON.parse keeps the last silently): `inexact`, naming its pointer;
 * - a number a 64-bit float cannot hold: `inexact`, naming its pointer. The rule: every number must be an
 *   IEEE double without becoming infinite (1e400), or zero from a non-zero literal (1e-400). An integer
 *   literal (no fraction, no exponent) must read back as the very digits sent: within ±(2^53−1) it always
 *   does; beyond, only when JavaScript writes the nearest double back as the same digits (as JSON.stringify
 *   writes 1e20: 100000000000000000000), so that what is stored and read back is what was sent, and
 *   every JSON.stringify output is accepted. 12345678901234567890 or 9007199254740993 are refused. A
 *   literal with a fraction or exponent is a float and, as in every JSON parser, means the nearest double
 *   (0.1, 3.14159265358979323846); -0.0 is accepted and is zero.
 * - nesting deeper than MAX_JSON_DEPTH: `too_deep`.
 * Every `inexact` value of the text is reported (up to a cap), not just the first.
 */

/** Deeper nesting is refused rather than risking the stack; the one nesting limit of every input. */
export const MAX_JSON_DEPTH = 512;

/**
 * The most bytes of one JSON document the Manager reads: an HTTP body, a CLI file or stdin.
 * Larger ones are refused before they are read whole.
 */
export const MAX_JSON_BYTES = 1024 * 1024;

/** How many `inexact` issues an error lists; the rest are counted. */
const MAX_ISSUES = 20;

/** Any integer of up to 15 digits is below 2^53: exact when accumulated digit by digit. */
const MAX_ACCUMULATED_DIGITS = 15;

const TOO_LARGE =
  'is a number too large for a 64-bit float (beyond ±1.7976931348623157e308): send a smaller number, or send it as a string';
const TOO_SMALL =
  'is a number too small for a 64-bit float (it would become 0): send 0, or send it as a string';
const NOT_EXACT_INTEGER =
  'is an integer a 64-bit float cannot hold exactly (beyond ±9007199254740991): send it as a string';

/** NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what it looks for.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const NUMBER_LITERAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A float literal that a JS number cannot tell from an int (`1.0`, `-0.0`, `1e21`); rendered by
 * pythonJsonDumps / pythonStr as Python would. Also stands for an integer literal given as such (parseJson
 * never makes one of those: it refuses integers a double does not hold).
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

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonExactValue =
  | null
  | boolean
  | number
  | string
  | JsonNumber
  | JsonExactValue[]
  | { [key: string]: JsonExactValue };

/** The two views of one parse. `value` is `exact` itself when the text holds no JsonNumber. */
export interface ParsedJson {
  readonly value: JsonValue;
  readonly exact: JsonExactValue;
}

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

/** The value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** What was found where a parse failed: punctuation is shown, letters and digits are not (a token may be there). */
function found(text: string, pos: number): string {
  if (pos >= text.length) return 'unexpected end of input';
  const c = text.charCodeAt(pos);
  if (c < 0x20 || c === 0x7f) return `unexpected control character U+${c.toString(16).padStart(4, '0')}`;
  if (c >= 0x30 && c <= 0x39) return 'unexpected digit';
  if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) return 'unexpected letter';
  if (c > 0x7f) return 'unexpected character';
  return `unexpected ${JSON.stringify(text[pos])}`;
}

/** `/a/b` for a pointer (cut short in messages: a key may be long), and a name for the whole document. */
const where = (pointer: string): string =>
  pointer === '' ? 'The document' : pointer.length > 200 ? `${pointer.slice(0, 200)}…` : pointer;

function defineMember(object: object, key: string, value: unknown): void {
  // defineProperty, like JSON.parse, so a "__proto__" key is data and not the prototype.
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The JSON.parse view of an exact value: every JsonNumber as its number. */
function plainOf(value: JsonExactValue): JsonValue {
  if (value instanceof JsonNumber) return value.valueOf();
  if (Array.isArray(value)) return value.map(plainOf);
  if (value === null || typeof value !== 'object') return value;
  const plain: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value)) defineMember(plain, key, plainOf(value[key] as JsonExactValue));
  return plain;
}

/** Parses JSON text into its two views; throws JsonInputError naming the position or the JSON pointers at fault. */
export function parseJson(text: string): ParsedJson {
  const length = text.length;
  let pos = 0;
  /** JsonNumbers made: the plain view needs a copy only when there are some. */
  let floats = 0;
  /** The keys and indexes leading to the value being parsed; entries at or beyond its depth are stale. */
  const path: (string | number)[] = [];
  const issues: JsonIssue[] = [];
  let omitted = 0;

  const fail = (expected: string): never => {
    throw new JsonInputError(
      'syntax',
      `Invalid JSON at position ${pos}: ${found(text, pos)}, expected ${expected}`,
      [{ path: '', message: `Invalid JSON at position ${pos}: expected ${expected}` }],
    );
  };

  const refuse = (depth: number, problem: string): void => {
    if (issues.length >= MAX_ISSUES) {
      omitted++;
      return;
    }
    const pointer = jsonPointer(path.slice(0, depth));
    issues.push({ path: pointer, message: `${where(pointer)} ${problem}` });
  };

  const skipWhitespace = (): void => {
    let c = text.charCodeAt(pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++pos);
  };

  /**
   * The digits of a fraction or an exponent, from `pos`: steps past them and returns the code
   * after them; with no digit there, fails at `mark` (the '.' or the 'e').
   */
  const digitsFrom = (mark: number, expected: string): number => {
    let c = text.charCodeAt(pos);
    if (!(c >= 0x30 && c <= 0x39)) {
      pos = mark;
      return fail(expected);
    }
    do c = text.charCodeAt(++pos);
    while (c >= 0x30 && c <= 0x39);
    return c;
  };

  const parseNumber = (depth: number): JsonExactValue => {
    const start = pos;
    let c = text.charCodeAt(pos);
    const negative = c === 0x2d;
    if (negative) c = text.charCodeAt(++pos);
    let accumulated = 0;
    if (c === 0x30) {
      c = text.charCodeAt(++pos);
    } else if (c >= 0x31 && c <= 0x39) {
      do {
        accumulated = accumulated * 10 + (c - 0x30);
        c = text.charCodeAt(++pos);
      } while (c >= 0x30 && c <= 0x39);
    } else {
      pos = start;
      return fail('a JSON value');
    }
    let isFloat = false;
    if (c === 0x2e) {
      const dot = pos++;
      c = digitsFrom(dot, 'a number with digits after its decimal point');
      isFloat = true;
    }
    const mantissaEnd = pos;
    if (c === 0x65 || c === 0x45) {
      const e = pos;
      c = text.charCodeAt(++pos);
      if (c === 0x2b || c === 0x2d) pos++;
      c = digitsFrom(e, 'a number with digits in its exponent');
      isFloat = true;
    }
    const digitsStart = negative ? start + 1 : start;
    if (!isFloat && pos - digitsStart <= MAX_ACCUMULATED_DIGITS) return negative ? -accumulated : accumulated;
    const literal = text.slice(start, pos);
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      refuse(depth, TOO_LARGE);
    } else if (!isFloat) {
      // Beyond 2^53 an integer is kept only when the double writes back as the very digits sent.
      if (!Number.isSafeInteger(value) && String(Math.abs(value)) !== text.slice(digitsStart, pos)) {
        refuse(depth, NOT_EXACT_INTEGER);
      }
    } else if (value === 0 && /[1-9]/.test(text.slice(digitsStart, mantissaEnd))) {
      refuse(depth, TOO_SMALL);
    } else if (Number.isInteger(value)) {
      floats++;
      return new JsonNumber(literal);
    }
    return value;
  };

  /**
   * A string, refused (`inexact`, at the pointer of `depth`) when an escape spelt a character
   * PostgreSQL cannot store in jsonb: NUL (\u0000), or a UTF-16 surrogate with no partner.
   * Unescaped text cannot hold them (the body was decoded as strict UTF-8; raw controls fail).
   */
  const parseString = (depth: number): string => {
    let start = ++pos; // after the opening quote
    let out = '';
    let escapedCodes = false;
    for (;;) {
      if (pos >= length) return fail('a closing quote');
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const escaped = text.charCodeAt(pos + 1);
        if (escaped === 0x75) {
          const a = hexDigit(text.charCodeAt(pos + 2));
          const b = hexDigit(text.charCodeAt(pos + 3));
          const c2 = hexDigit(text.charCodeAt(pos + 4));
          const d = hexDigit(text.charCodeAt(pos + 5));
          if ((a | b | c2 | d) < 0) {
            pos += 2;
            return fail('4 hex digits');
          }
          out += String.fromCharCode((a << 12) | (b << 8) | (c2 << 4) | d);
          escapedCodes = true;
          pos += 6;
        } else {
          const decoded = ESCAPES[text[pos + 1] ?? ''];
          if (decoded === undefined) {
            pos++;
            return fail('an escape character');
          }
          out += decoded;
          pos += 2;
        }
        start = pos;
        continue;
      }
      if (c < 0x20) return fail('a closing quote');
      pos++;
    }
    const s = out + text.slice(start, pos);
    pos++; // the closing quote
    if (escapedCodes && UNSTORABLE.test(s)) {
      refuse(depth, 'holds \\u0000 or an unpaired surrogate escape, which cannot be stored: remove it');
    }
    return s;
  };

  /** Steps over `[` or `{`; true (and over `close` too) when the container is empty. */
  const opensEmpty = (close: number): boolean => {
    pos++;
    skipWhitespace();
    if (text.charCodeAt(pos) !== close) return false;
    pos++;
    return true;
  };

  /** After a member: steps over the ',' before the next one or over `close`; true at `close`. */
  const closesAfterMember = (close: number, expected: string): boolean => {
    skipWhitespace();
    const c = text.charCodeAt(pos);
    if (c !== close && c !== 0x2c) fail(expected);
    pos++;
    return c === close;
  };

  const parseArray = (depth: number): JsonExactValue[] => {
    const items: JsonExactValue[] = [];
    if (opensEmpty(0x5d)) return items;
    for (let index = 0; ; index++) {
      path[depth] = index;
      items.push(parseValue(depth + 1));
      if (closesAfterMember(0x5d, "',' or ']'")) return items;
    }
  };

  const parseObject = (depth: number): { [key: string]: JsonExactValue } => {
    const object: { [key: string]: JsonExactValue } = {};
    if (opensEmpty(0x7d)) return object;
    for (;;) {
      skipWhitespace();
      if (text.charCodeAt(pos) !== 0x22) fail('a string key');
      // A key's problem is reported at its object.
      const key = parseString(depth);
      skipWhitespace();
      if (text.charCodeAt(pos) !== 0x3a) fail("':'");
      pos++;
      path[depth] = key;
      const value = parseValue(depth + 1);
      if (Object.hasOwn(object, key)) {
        refuse(depth + 1, 'is given more than once in its object: give each key once');
      } else if (key === '__proto__') {
        defineMember(object, key, value);
      } else {
        object[key] = value;
      }
      if (closesAfterMember(0x7d, "',' or '}'")) return object;
    }
  };

  const parseValue = (depth: number): JsonExactValue => {
    skipWhitespace();
    const c = text.charCodeAt(pos);
    if (c === 0x22) return parseString(depth);
    if (c === 0x7b || c === 0x5b) {
      if (depth >= MAX_JSON_DEPTH) {
        const pointer = jsonPointer(path.slice(0, depth));
        throw new JsonInputError(
          'too_deep',
          `The JSON nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (at ${pointer}): flatten it`,
          [{ path: pointer, message: `${pointer} is nested more than ${MAX_JSON_DEPTH} levels deep` }],
        );
      }
      return c === 0x7b ? parseObject(depth) : parseArray(depth);
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return parseNumber(depth);
    if (c === 0x74 && text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (c === 0x66 && text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (c === 0x6e && text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    return fail('a JSON value');
  };

  const exact = parseValue(0);
  skipWhitespace();
  if (pos < length) fail('end of input');
  if (issues.length > 0) {
    const shown = issues.slice(0, 3).map((issue) => issue.message);
    const more = issues.length + omitted - shown.length;
    throw new JsonInputError(
      'inexact',
      `The JSON would not be kept as sent: ${shown.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`,
      issues,
      omitted,
    );
  }
  return { exact, value: floats === 0 ? (exact as JsonValue) : plainOf(exact) };
}

/** The exact view alone (see parseJson). */
export function parseJsonExact(text: string): JsonExactValue {
  return parseJson(text).exact;
}
