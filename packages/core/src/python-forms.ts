import { JsonNumber } from './json-exact.js';

/**
 * The Python string forms that identity is computed from (docs/reference.md#job-and-pipeline-identity): `json.dumps(v, sort_keys=True,
 * separators=(',', ':'))` and `str(v)`. A JS value is read as Python's json.loads would read JSON.stringify
 * of it: an integral number below 1e21 is an int, any other number a float; undefined object members are
 * skipped and undefined array items are None. JsonNumber (from parseJsonExact) carries the exact literal.
 *
 * Limits: dict reprs follow JS key order, which puts integer-like keys first where Python keeps document
 * order; printable-ness follows the Unicode version of the JS engine, which may be newer than Python's.
 */

/** Python's isinstance(v, dict) for JSON-shaped values: a plain object, not an array or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Python's ordering of str: by code point. JS `<` orders by UTF-16 unit, which puts astral chars too early. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === length) return a.length - b.length;
  // Step back onto a shared high surrogate so both sides read whole code points.
  const at = i > 0 && isHighSurrogate(a.charCodeAt(i - 1)) ? i - 1 : i;
  return (a.codePointAt(at) ?? 0) - (b.codePointAt(at) ?? 0);
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/** Python's repr(float): shortest round-trip digits, exponent form iff the decimal point is at <= -4 or > 16. */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  // toExponential() without an argument gives the same shortest round-trip digits Python uses.
  const [mantissa = '', exponent = ''] = Math.abs(n).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1; // how many digits stand before the decimal point
  if (point > -4 && point <= 16) {
    if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
    if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
    return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const e = point - 1;
  return `${sign}${digits[0]}${fraction}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

type PythonNumber = { readonly int: string } | { readonly float: number };

function pythonNumber(value: number | bigint | JsonNumber): PythonNumber {
  if (typeof value === 'bigint') return { int: value.toString() };
  if (value instanceof JsonNumber) {
    // BigInt('-0') is 0n, matching Python's int('-0') == 0.
    return value.isFloat ? { float: Number(value.literal) } : { int: BigInt(value.literal).toString() };
  }
  // String() of an integral number below 1e21 is exactly what JSON.stringify writes and json.loads reads
  // back as an int; beyond 2^53 those are the shortest round-trip digits, not the double's binary value.
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? { int: String(value) } : { float: value };
}

/** json.dumps spells non-finite floats the JavaScript way. */
function jsonNumber(value: number | bigint | JsonNumber): string {
  const n = pythonNumber(value);
  if ('int' in n) return n.int;
  if (Number.isNaN(n.float)) return 'NaN';
  if (!Number.isFinite(n.float)) return n.float > 0 ? 'Infinity' : '-Infinity';
  return pythonFloatRepr(n.float);
}

function reprNumber(value: number | bigint | JsonNumber): string {
  const n = pythonNumber(value);
  return 'int' in n ? n.int : pythonFloatRepr(n.float);
}

const JSON_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** ensure_ascii: everything outside space..~ is escaped; matching UTF-16 units turns astral chars into pairs. */
function jsonString(s: string): string {
  const escaped = s.replace(
    /[^ -~]|["\\]/g,
    (c) => JSON_SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}

/** Python's str.isprintable() is false for categories C* and Z*, except the ASCII space. */
const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;

const REPR_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Python's repr(str): single quotes unless the text has ' and no ", then non-printables escaped by width. */
function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const short = ch === quote ? `\\${quote}` : REPR_SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (ch === ' ' || !NON_PRINTABLE.test(ch)) out += ch;
    else out += hexEscape(ch.codePointAt(0) ?? 0);
  }
  return out + quote;
}

function hexEscape(cp: number): string {
  const hex = cp.toString(16);
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

function unsupported(value: unknown): never {
  throw new TypeError(`No Python form for a value of type ${typeof value}`);
}

/** How one Python form spells each kind of value; json.dumps and repr walk values the same way. */
interface PythonForm {
  none: string;
  booleans: readonly [whenFalse: string, whenTrue: string];
  string: (s: string) => string;
  number: (value: number | bigint | JsonNumber) => string;
  /** Between items and between members. */
  separator: string;
  /** Between a key and its value. */
  colon: string;
  sortKeys: boolean;
}

const JSON_DUMPS_FORM: PythonForm = {
  none: 'null',
  booleans: ['false', 'true'],
  string: jsonString,
  number: jsonNumber,
  separator: ',',
  colon: ':',
  sortKeys: true,
};

const REPR_FORM: PythonForm = {
  none: 'None',
  booleans: ['False', 'True'],
  string: reprString,
  number: reprNumber,
  separator: ', ',
  colon: ': ',
  sortKeys: false,
};

function inForm(value: unknown, form: PythonForm): string {
  if (value === null) return form.none;
  if (typeof value === 'boolean') return form.booleans[value ? 1 : 0];
  if (typeof value === 'string') return form.string(value);
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof JsonNumber) {
    return form.number(value);
  }
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => (item === undefined ? form.none : inForm(item, form)));
    return `[${items.join(form.separator)}]`;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined);
    if (form.sortKeys) keys.sort(compareCodePoints);
    const members = keys.map((key) => `${form.string(key)}${form.colon}${inForm(value[key], form)}`);
    return `{${members.join(form.separator)}}`;
  }
  return unsupported(value);
}

/** Python `json.dumps(value, sort_keys=True, separators=(',', ':'))` with the default ensure_ascii=True. */
export function pythonJsonDumps(value: unknown): string {
  return inForm(value, JSON_DUMPS_FORM);
}

/** Python `repr(value)`: the form nested values take inside str() of a list or dict. */
export function pythonRepr(value: unknown): string {
  return inForm(value, REPR_FORM);
}

/** Python `str(value)`: a string as it is, anything else as its repr. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}
