import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonNumber, parseJsonExact } from './json-exact.js';
import {
  compareCodePoints,
  pythonFloatRepr,
  pythonJsonDumps,
  pythonRepr,
  pythonStr,
} from './python-forms.js';

/**
 * [what, input, Python json.dumps(v, sort_keys=True, separators=(',', ':')), Python str(v)]. The expected
 * strings were produced by CPython 3.11 from json.loads of JSON.stringify(input), or of the literal given to
 * parseJsonExact, and pasted here.
 */
const PYTHON_CASES: readonly (readonly [string, unknown, string, string])[] = [
  ['a plain string', 'hello', '"hello"', 'hello'],
  ['a string with double quotes', 'say "hi"', '"say \\"hi\\""', 'say "hi"'],
  ['a string with a single quote', "it's", '"it\'s"', "it's"],
  ['a string with both quote kinds', 'it\'s "x"', '"it\'s \\"x\\""', 'it\'s "x"'],
  ['backslashes', 'a\\b\\', '"a\\\\b\\\\"', 'a\\b\\'],
  ['newline, tab and carriage return', 'a\nb\tc\rd', '"a\\nb\\tc\\rd"', 'a\nb\tc\rd'],
  [
    'other control characters',
    '\u0000\u0001\u001f\b\f\u001b',
    '"\\u0000\\u0001\\u001f\\b\\f\\u001b"',
    '\u0000\u0001\u001f\b\f\u001b',
  ],
  ['DEL', 'x\u007fy', '"x\\u007fy"', 'x\u007fy'],
  ['e acute', 'café', '"caf\\u00e9"', 'café'],
  ['CJK', '中文', '"\\u4e2d\\u6587"', '中文'],
  ['an emoji (astral)', '😀', '"\\ud83d\\ude00"', '😀'],
  [
    'non-printable non-ASCII (NBSP, ZWSP, LS, private use, NEL, soft hyphen)',
    '\u00a0\u200b\u2028\ue000\u0085\u00ad',
    '"\\u00a0\\u200b\\u2028\\ue000\\u0085\\u00ad"',
    '\u00a0\u200b\u2028\ue000\u0085\u00ad',
  ],
  [
    'non-printable astral (tag, unassigned)',
    '\u{e0001}\u{10ffff}',
    '"\\udb40\\udc01\\udbff\\udfff"',
    '\u{e0001}\u{10ffff}',
  ],
  ['a lone surrogate', 'a\ud800b', '"a\\ud800b"', 'a\ud800b'],
  [
    'a list of strings with mixed quotes',
    ['a', "it's", 'say "hi"', 'both \' "', ''],
    '["a","it\'s","say \\"hi\\"","both \' \\"",""]',
    "['a', \"it's\", 'say \"hi\"', 'both \\' \"', '']",
  ],
  [
    'a list of unicode strings',
    ['é', '中', '😀', '\u0085', '\t'],
    '["\\u00e9","\\u4e2d","\\ud83d\\ude00","\\u0085","\\t"]',
    "['é', '中', '😀', '\\x85', '\\t']",
  ],
  [
    'non-printables in a list repr',
    ['\u00a0\u200b\u2028\ue000\u00ad', '\u{e0001}\u{10ffff}', 'x\u007f\u001b'],
    '["\\u00a0\\u200b\\u2028\\ue000\\u00ad","\\udb40\\udc01\\udbff\\udfff","x\\u007f\\u001b"]',
    "['\\xa0\\u200b\\u2028\\ue000\\xad', '\\U000e0001\\U0010ffff', 'x\\x7f\\x1b']",
  ],
  [
    'a lone surrogate in a list repr',
    ['a\ud800b', '\udfff'],
    '["a\\ud800b","\\udfff"]',
    "['a\\ud800b', '\\udfff']",
  ],
  ['0.5', 0.5, '0.5', '0.5'],
  ['1e21 (a float: too big for an int)', 1e21, '1e+21', '1e+21'],
  ['1e16 as a JS number (an int)', 1e16, '10000000000000000', '10000000000000000'],
  ['1e16 written as a float', parseJsonExact('1e16'), '1e+16', '1e+16'],
  ['1e15 as a JS number (an int)', 1e15, '1000000000000000', '1000000000000000'],
  ['1e15 written as a float', parseJsonExact('1e15'), '1000000000000000.0', '1000000000000000.0'],
  ['1e-5', 1e-5, '1e-05', '1e-05'],
  ['0.0001', 0.0001, '0.0001', '0.0001'],
  ['1.5e-7', 1.5e-7, '1.5e-07', '1.5e-07'],
  ['123.456', 123.456, '123.456', '123.456'],
  ['0.1 + 0.2', 0.1 + 0.2, '0.30000000000000004', '0.30000000000000004'],
  ['1e100', 1e100, '1e+100', '1e+100'],
  ['-1.5e-100', -1.5e-100, '-1.5e-100', '-1.5e-100'],
  ['the smallest subnormal', 5e-324, '5e-324', '5e-324'],
  ['the largest double', 1.7976931348623157e308, '1.7976931348623157e+308', '1.7976931348623157e+308'],
  ['1e20 as a JS number (an int)', 1e20, '100000000000000000000', '100000000000000000000'],
  ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER, '9007199254740991', '9007199254740991'],
  [
    'an integral JS number beyond 2^53 (the digits JSON.stringify writes)',
    149731498671548200,
    '149731498671548200',
    '149731498671548200',
  ],
  ['a negative int', -123, '-123', '-123'],
  ['zero', 0, '0', '0'],
  ['-0 as a JS number (int 0)', -0, '0', '0'],
  ['-0.0 via parseJsonExact', parseJsonExact('-0.0'), '-0.0', '-0.0'],
  ['-0 via parseJsonExact (int 0)', parseJsonExact('-0'), '0', '0'],
  ['1.0 via parseJsonExact', parseJsonExact('1.0'), '1.0', '1.0'],
  ['1E2 via parseJsonExact', parseJsonExact('1E2'), '100.0', '100.0'],
  [
    '12345678901234567890 as a JsonNumber (an int beyond 2^53)',
    new JsonNumber('12345678901234567890'),
    '12345678901234567890',
    '12345678901234567890',
  ],
  [
    '-98765432109876543210 as a JsonNumber',
    new JsonNumber('-98765432109876543210'),
    '-98765432109876543210',
    '-98765432109876543210',
  ],
  ['1e400 as a JsonNumber (infinity)', new JsonNumber('1e400'), 'Infinity', 'inf'],
  ['true', true, 'true', 'True'],
  ['false', false, 'false', 'False'],
  ['null', null, 'null', 'None'],
  ['an empty list', [], '[]', '[]'],
  ['an empty dict', {}, '{}', '{}'],
  [
    'a mixed list',
    [1, 1.5, 'x', null, true, false, [], {}],
    '[1,1.5,"x",null,true,false,[],{}]',
    "[1, 1.5, 'x', None, True, False, [], {}]",
  ],
  [
    'a nested object',
    { b: { d: [1, { z: null, a: true }], c: 'x' }, a: 1 },
    '{"a":1,"b":{"c":"x","d":[1,{"a":true,"z":null}]}}',
    "{'b': {'d': [1, {'z': None, 'a': True}], 'c': 'x'}, 'a': 1}",
  ],
  [
    'keys in code-point order',
    { b: 1, a: 2, B: 3, _: 4, aa: 5, '': 6 },
    '{"":6,"B":3,"_":4,"a":2,"aa":5,"b":1}',
    "{'b': 1, 'a': 2, 'B': 3, '_': 4, 'aa': 5, '': 6}",
  ],
  [
    'astral keys after BMP keys above the surrogates',
    { '\uffff': 1, '😀': 2, '\ue000': 3, z: 4, é: 5 },
    '{"z":4,"\\u00e9":5,"\\ue000":3,"\\uffff":1,"\\ud83d\\ude00":2}',
    "{'\\uffff': 1, '😀': 2, '\\ue000': 3, 'z': 4, 'é': 5}",
  ],
  [
    'unicode keys and values',
    { é: '中', '😀': ['😀'] },
    '{"\\u00e9":"\\u4e2d","\\ud83d\\ude00":["\\ud83d\\ude00"]}',
    "{'é': '中', '😀': ['😀']}",
  ],
  [
    'a list holding a dict',
    [{ k: 'v', n: [1, 2.5], q: "it's" }],
    '[{"k":"v","n":[1,2.5],"q":"it\'s"}]',
    "[{'k': 'v', 'n': [1, 2.5], 'q': \"it's\"}]",
  ],
  [
    'floats kept exact inside containers',
    {
      ...(parseJsonExact('{"b": [1.0, 2, -0.0, 1e16]}') as object),
      a: [new JsonNumber('12345678901234567890'), 0.5],
    },
    '{"a":[12345678901234567890,0.5],"b":[1.0,2,-0.0,1e+16]}',
    "{'b': [1.0, 2, -0.0, 1e+16], 'a': [12345678901234567890, 0.5]}",
  ],
  [
    'job data like the tacobot fixture',
    { param1: 'value1', param2: 1, param3: true, param4: [1, 2, 3], param5: ['a', 'b', 'c'] },
    '{"param1":"value1","param2":1,"param3":true,"param4":[1,2,3],"param5":["a","b","c"]}',
    "{'param1': 'value1', 'param2': 1, 'param3': True, 'param4': [1, 2, 3], 'param5': ['a', 'b', 'c']}",
  ],
  [
    'child_of like the tacobot fixture',
    ['10483e8d-6602-532a-8941-176ce20dd05a'],
    '["10483e8d-6602-532a-8941-176ce20dd05a"]',
    "['10483e8d-6602-532a-8941-176ce20dd05a']",
  ],
];

describe('pythonJsonDumps and pythonStr', () => {
  it.each(PYTHON_CASES)('render %s as Python does', (_what, input, json, str) => {
    expect(pythonJsonDumps(input)).toBe(json);
    expect(pythonStr(input)).toBe(str);
  });

  it('has a table of at least 40 Python-checked cases', () => {
    expect(PYTHON_CASES.length).toBeGreaterThanOrEqual(40);
  });

  it('skip undefined object members and render undefined list items as null / None, like JSON.stringify', () => {
    const value = { a: undefined, b: [undefined, 1] };
    expect(pythonJsonDumps(value)).toBe('{"b":[null,1]}');
    expect(pythonStr(value)).toBe("{'b': [None, 1]}");
  });

  it('render bigint as a Python int', () => {
    expect(pythonJsonDumps([2n ** 70n])).toBe('[1180591620717411303424]');
    expect(pythonStr(-(2n ** 70n))).toBe('-1180591620717411303424');
  });

  it('spell non-finite floats as json.dumps and repr do', () => {
    expect(pythonJsonDumps([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      '[NaN,Infinity,-Infinity]',
    );
    expect(pythonStr([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])).toBe(
      '[nan, inf, -inf]',
    );
  });

  it('refuse values Python never gets from JSON', () => {
    for (const value of [undefined, () => 1, Symbol('s'), new Date(0), new Map(), { nested: new Set() }]) {
      expect(() => pythonJsonDumps(value)).toThrow(TypeError);
      expect(() => pythonRepr(value)).toThrow(TypeError);
    }
  });

  it('accept objects with a null prototype as dicts', () => {
    const value: Record<string, unknown> = Object.create(null);
    value.k = 1;
    expect(pythonJsonDumps(value)).toBe('{"k":1}');
    expect(pythonStr(value)).toBe("{'k': 1}");
  });

  it('give the same result for JSON.parse and parseJsonExact of JSON.stringify output', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(pythonJsonDumps(parseJsonExact(text))).toBe(pythonJsonDumps(JSON.parse(text)));
        expect(pythonStr(parseJsonExact(text))).toBe(pythonStr(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('pythonFloatRepr', () => {
  it('switches to exponent form exactly where Python does', () => {
    expect(pythonFloatRepr(1e-4)).toBe('0.0001');
    expect(pythonFloatRepr(9.9e-5)).toBe('9.9e-05');
    expect(pythonFloatRepr(9999999999999998)).toBe('9999999999999998.0');
    expect(pythonFloatRepr(1e16)).toBe('1e+16');
    expect(pythonFloatRepr(1.2345e16)).toBe('1.2345e+16');
  });

  it('keeps the sign of negative zero', () => {
    expect(pythonFloatRepr(-0)).toBe('-0.0');
    expect(pythonFloatRepr(0)).toBe('0.0');
  });
});

describe('compareCodePoints', () => {
  it('orders astral characters after U+E000..U+FFFF, unlike the default JS sort', () => {
    const keys = ['😀', '\uffff', '\ue000', 'a'];
    expect([...keys].sort()).toEqual(['a', '😀', '\ue000', '\uffff']);
    expect([...keys].sort(compareCodePoints)).toEqual(['a', '\ue000', '\uffff', '😀']);
  });

  it('orders lone surrogates by their own code point', () => {
    expect(compareCodePoints('\udc00', '\ue000')).toBeLessThan(0);
    expect(compareCodePoints('\ud800x', '\ud800\udc00')).toBeLessThan(0);
    expect(compareCodePoints('\ud83d\ude01', '\ud83d\ude00')).toBeGreaterThan(0);
  });

  it('puts a prefix first and equal strings level', () => {
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
  });
});
