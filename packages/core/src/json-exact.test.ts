import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonNumber, MAX_JSON_DEPTH, parseJsonExact } from './json-exact.js';

/** What JSON.parse would have returned: every JsonNumber replaced by its JS number. */
function plain(value: unknown): unknown {
  if (value instanceof JsonNumber) return Number(value.literal);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('parseJsonExact', () => {
  it('parses ordinary JSON like JSON.parse', () => {
    const text =
      ' {"a": [1, -2, 0.5, "x\\n\\u00e9\\ud83d\\ude00\\/"], "b": {"c": null, "d": true, "e": false}}\n';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
  });

  it('keeps float literals that are integral in JS as JsonNumber', () => {
    for (const literal of ['1.0', '-0.0', '1e2', '1E+2', '2.50e1', '1e21', '0.0']) {
      expect(parseJsonExact(literal)).toEqual(new JsonNumber(literal));
    }
  });

  it('keeps integers beyond the safe range as JsonNumber', () => {
    expect(parseJsonExact('12345678901234567890')).toEqual(new JsonNumber('12345678901234567890'));
    expect(parseJsonExact('-9007199254740993')).toEqual(new JsonNumber('-9007199254740993'));
  });

  it('returns plain numbers when a JS number loses nothing', () => {
    expect(parseJsonExact('[1, 0.5, -0, 9007199254740991, 1.5e-7, 1e400]')).toEqual([
      1,
      0.5,
      -0,
      9007199254740991,
      1.5e-7,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('treats a "__proto__" key as data, as JSON.parse does', () => {
    const value = parseJsonExact('{"__proto__": {"polluted": 1}}');
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lets the last of duplicate keys win, as JSON.parse and json.loads do', () => {
    expect(parseJsonExact('{"a": 1, "a": 2}')).toEqual({ a: 2 });
  });

  it.each([
    ['', 0],
    ['[1,]', 3],
    ['{"a":1,}', 7],
    ['01', 1],
    ['1.', 1],
    ['.5', 0],
    ['+1', 0],
    ['-', 0],
    ["{'a': 1}", 1],
    ['NaN', 0],
    ['Infinity', 0],
    ['"tab\there"', 4],
    ['"bad \\x escape"', 6],
    ['"\\u12G4"', 3],
    ['"unterminated', 13],
    ['[1] [2]', 4],
    ['/* comment */ 1', 0],
    ['\ufeff1', 0],
    ['{"a" 1}', 5],
    ['tru', 0],
  ])('rejects %j with a SyntaxError at position %i', (text, position) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => parseJsonExact(text)).toThrow(SyntaxError);
    expect(() => parseJsonExact(text)).toThrow(`position ${position}:`);
  });

  it(`accepts nesting up to ${MAX_JSON_DEPTH} levels and refuses deeper`, () => {
    expect(() => parseJsonExact(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJsonExact(nested(MAX_JSON_DEPTH + 1))).toThrow(SyntaxError);
    expect(() => parseJsonExact(`{"a":${nested(MAX_JSON_DEPTH)}}`)).toThrow(SyntaxError);
  });

  it('agrees with JSON.parse on valid JSON, up to JsonNumber', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        expect(plain(parseJsonExact(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('accepts and refuses the same damaged texts as JSON.parse', () => {
    const damaged = fc
      .tuple(
        fc.json(),
        fc.nat(),
        fc.constantFrom('', ',', '"', '\\', '[', '}', '0', '.', 'e', '-', ' ', '\n', '\u0001'),
      )
      .map(([text, at, insert]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(insert === '' ? i + 1 : i);
      });
    fc.assert(
      fc.property(damaged, (text) => {
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expect(() => parseJsonExact(text)).toThrow(SyntaxError);
          return;
        }
        expect(plain(parseJsonExact(text))).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('JsonNumber', () => {
  it('refuses text that is not a JSON number literal', () => {
    for (const literal of ['', '1.', '01', '+1', 'NaN', '1e', ' 1']) {
      expect(() => new JsonNumber(literal)).toThrow(SyntaxError);
    }
  });

  it('tells Python floats from ints by the literal', () => {
    expect(new JsonNumber('1.0').isFloat).toBe(true);
    expect(new JsonNumber('1e2').isFloat).toBe(true);
    expect(new JsonNumber('12345678901234567890').isFloat).toBe(false);
  });

  it('stringifies back to the number JSON.parse would have given', () => {
    expect(JSON.stringify(parseJsonExact('[1.0, 12345678901234567890]'))).toBe('[1,12345678901234567000]');
  });
});
