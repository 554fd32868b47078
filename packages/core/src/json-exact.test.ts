import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonNumber, MAX_JSON_DEPTH, parseJson, parseJsonExact } from './json-exact.js';
import { JsonInputError } from './json-input-error.js';

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

describe('parseJson: values', () => {
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

  it('returns plain numbers when a JS number loses nothing', () => {
    expect(parseJsonExact('[1, 0.5, -0, 9007199254740991, -9007199254740991, 1.5e-7, 5e-324]')).toEqual([
      1, 0.5, -0, 9007199254740991, -9007199254740991, 1.5e-7, 5e-324,
    ]);
  });

  it('treats a "__proto__" key as data, as JSON.parse does', () => {
    const value = parseJsonExact('{"__proto__": {"polluted": 1}}');
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps a "__proto__" key as data in the plain view too', () => {
    const { value } = parseJson('{"__proto__": {"x": 1.0}}');
    expect(Object.keys(value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ x: 1 });
  });
});

/** The issues parseJson refuses a text with (it must refuse it). */
function refusal(text: string): JsonInputError {
  try {
    parseJson(text);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonInputError);
    expect(error).toBeInstanceOf(SyntaxError);
    return error as JsonInputError;
  }
  throw new Error(`parseJson accepted ${text}`);
}

describe('parseJson: two views of one parse', () => {
  it('gives JsonNumber in the exact view and its number in the plain view', () => {
    const { value, exact } = parseJson('{"a": [1.0, 2, {"b": -0.0}], "c": 1e2}');
    expect(exact).toEqual({
      a: [new JsonNumber('1.0'), 2, { b: new JsonNumber('-0.0') }],
      c: new JsonNumber('1e2'),
    });
    expect(value).toEqual({ a: [1, 2, { b: -0 }], c: 100 });
    expect(JSON.stringify(value)).toBe(JSON.stringify(JSON.parse('{"a": [1.0, 2, {"b": -0.0}], "c": 1e2}')));
  });

  it('shares one value between the views when the text holds no float written as an int', () => {
    const parsed = parseJson('{"a": [1, 0.5, "x"], "b": null}');
    expect(parsed.value).toBe(parsed.exact);
  });
});

describe('parseJson: duplicate keys', () => {
  it('refuses a key given twice, naming it by its JSON pointer', () => {
    const error = refusal('{"name": "update", "name": "fail"}');
    expect(error.code).toBe('inexact');
    expect(error.issues).toEqual([
      { path: '/name', message: expect.stringContaining('/name is given more than once') },
    ]);
  });

  it('finds duplicates at any depth, inside arrays, and escapes the pointer', () => {
    const error = refusal('{"data": {"list": [0, {"a/b": 1, "x": 2, "a/b": 3}], "t~": {"k": 1, "k": 1}}}');
    expect(error.issues.map((i) => i.path)).toEqual(['/data/list/1/a~1b', '/data/t~0/k']);
  });

  it('refuses a duplicate "__proto__" key like any other', () => {
    expect(refusal('{"__proto__": 1, "__proto__": 2}').issues.map((i) => i.path)).toEqual(['/__proto__']);
  });

  it('allows the same key in different objects', () => {
    expect(parseJsonExact('{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}')).toEqual({
      a: { a: 1 },
      b: [{ a: 1 }, { a: 2 }],
    });
  });

  it('cuts a long key short in its message, not in its pointer', () => {
    const key = 'k'.repeat(1000);
    const [issue] = refusal(`{"${key}": 1, "${key}": 2}`).issues;
    expect(issue?.path).toBe(`/${key}`);
    expect(issue?.message.length).toBeLessThan(300);
  });

  it('never puts a value in its messages', () => {
    const error = refusal('{"token": "0123456789abcdef", "token": "fedcba9876543210"}');
    expect(error.message).not.toMatch(/0123|fedc/);
    expect(JSON.stringify(error.issues)).not.toMatch(/0123|fedc/);
  });
});

describe('parseJson: numbers', () => {
  // Each literal at /n, with what it is read as, or the reason it is refused.
  it.each([
    ['0', 0],
    ['-0', -0],
    ['0.1', 0.1],
    ['3.14159265358979323846', Math.PI],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740992', 2 ** 53],
    ['100000000000000000000', 1e20],
    ['-100000000000000000000', -1e20],
    ['1e300', new JsonNumber('1e300')],
    ['-1.7976931348623157e308', new JsonNumber('-1.7976931348623157e308')],
    ['1.5e300', new JsonNumber('1.5e300')],
    ['5e-324', 5e-324],
    ['4e-324', 5e-324],
    ['1.5E-7', 1.5e-7],
    ['0e999999', new JsonNumber('0e999999')],
    ['0.000e-5', new JsonNumber('0.000e-5')],
    ['9007199254740993.0', new JsonNumber('9007199254740993.0')],
    ['1e21', new JsonNumber('1e21')],
  ])('accepts %s', (literal, expected) => {
    expect(parseJsonExact(`{"n": ${literal}}`)).toEqual({ n: expected });
  });

  it.each([
    ['1e400', 'too large'],
    ['-1e400', 'too large'],
    ['1.8e308', 'too large'],
    [`1${'0'.repeat(400)}`, 'too large'],
    ['1e-400', 'too small'],
    ['-2e-324', 'too small'],
    [`0.${'0'.repeat(400)}1`, 'too small'],
    ['12345678901234567890', 'integer'],
    ['9007199254740993', 'integer'],
    ['-9007199254740993', 'integer'],
    ['1152921504606846976', 'integer'],
    [`1${'0'.repeat(21)}`, 'integer'],
  ])('refuses %s (%s) naming its pointer', (literal, reason) => {
    const error = refusal(`{"n": ${literal}}`);
    expect(error.code).toBe('inexact');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('/n');
    expect(error.issues[0]?.message).toContain(reason);
    expect(error.message).not.toContain(literal);
  });

  it('keeps every integer it accepts digit for digit, and refuses only those it would change', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), (n) => {
        const literal = n.toString();
        const writesBack = String(Number(literal)) === literal;
        if (writesBack) expect(String(parseJsonExact(literal))).toBe(literal);
        else expect(refusal(literal).code).toBe('inexact');
        if (n >= -(2n ** 53n - 1n) && n <= 2n ** 53n - 1n) expect(writesBack).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every finite double as JSON.stringify writes it, with its value', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(parseJsonExact(JSON.stringify(x)))).toBe(x === 0 ? 0 : x);
      }),
      { numRuns: 2000 },
    );
  });

  it('names every offending value, not just the first', () => {
    const error = refusal('{"data": {"inf": 1e400, "big": 12345678901234567890, "tiny": 1e-400}}');
    expect(error.issues.map((i) => i.path)).toEqual(['/data/inf', '/data/big', '/data/tiny']);
    expect(error.message).toContain('/data/inf');
    expect(error.message).toContain('/data/tiny');
  });

  it('names the whole document when it is the number', () => {
    expect(refusal('1e400').issues).toEqual([
      { path: '', message: expect.stringMatching(/^The document is a number too large/) },
    ]);
  });

  it('lists at most 20 issues and counts the rest', () => {
    const error = refusal(`[${Array(25).fill('1e400').join(',')}]`);
    expect(error.issues).toHaveLength(20);
    expect(error.omitted).toBe(5);
    expect(error.message).toContain('(and 22 more)');
  });

  it('reports a syntax error rather than number issues before it', () => {
    expect(refusal('[1e400, ]').code).toBe('syntax');
  });
});

describe('parseJson: syntax', () => {
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
    const error = refusal(`{"a":[${nested(MAX_JSON_DEPTH - 1)}]}`);
    expect(error.code).toBe('too_deep');
    expect(error.issues[0]?.path).toBe(`/a${'/0'.repeat(MAX_JSON_DEPTH - 1)}`);
  });

  it('says what it found without showing letters or digits (a token may be there)', () => {
    const error = refusal('{"token": 0123456789abcdef}');
    expect(error.code).toBe('syntax');
    expect(error.message).toBe("Invalid JSON at position 11: unexpected digit, expected ',' or '}'");
    expect(refusal('{"token": abcdef}').message).toContain('unexpected letter');
    expect(refusal('{"a": 1;}').message).toContain('unexpected ";"');
    expect(refusal('{"a": "\u0001"}').message).toContain('unexpected control character U+0001');
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
        // JSON.parse silently keeps the last of duplicate keys and rounds numbers; those texts are refused.
        try {
          expect(plain(parseJsonExact(text))).toEqual(expected);
        } catch (error) {
          expect(error).toBeInstanceOf(JsonInputError);
          expect((error as JsonInputError).code).toBe('inexact');
        }
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
    expect(JSON.stringify(parseJsonExact('[1.0, -0.0, 1e2]'))).toBe('[1,0,100]');
    expect(JSON.stringify(new JsonNumber('12345678901234567890'))).toBe('12345678901234567000');
  });
});

describe('strings PostgreSQL cannot store', () => {
  it.each([
    ['{"a":"x\\u0000y"}', '/a'],
    ['{"a":"\\ud800"}', '/a'],
    ['{"a":"\\udc00x"}', '/a'],
    ['{"a":["ok","\\ud800z"]}', '/a/1'],
    ['{"o":{"k\\u0000":1}}', '/o'],
  ])('refuses %s naming %s', (text, path) => {
    expect(() => parseJson(text)).toThrow(JsonInputError);
    try {
      parseJson(text);
    } catch (error) {
      expect((error as JsonInputError).code).toBe('inexact');
      expect((error as JsonInputError).issues.map((i) => i.path)).toEqual([path]);
    }
  });

  it('keeps a surrogate pair written as two escapes, and characters written as themselves', () => {
    expect(parseJson('{"a":"\\ud83d\\ude00","b":"é"}').value).toEqual({ a: '😀', b: 'é' });
  });
});
