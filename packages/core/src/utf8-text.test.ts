import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstInvalidUtf8, firstNonAscii } from './utf8-text.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

/** Random bytes, valid UTF-8, and valid UTF-8 with one byte changed. */
const bytesToTry = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.nat(), fc.nat({ max: 255 }))
    .map(([s, at, byte]) => {
      const encoded = new TextEncoder().encode(s);
      encoded[at % encoded.length] = byte;
      return encoded;
    }),
);

describe('decodeUtf8', () => {
  it('decodes valid UTF-8, astral characters included', () => {
    expect(decodeUtf8(new TextEncoder().encode('{"é": "😀中"}'))).toEqual({
      ok: true,
      text: '{"é": "😀中"}',
    });
  });

  it('drops a byte order mark at the start, and only there', () => {
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x31))).toEqual({ ok: true, text: '1' });
    expect(decodeUtf8(bytes(0x22, 0xef, 0xbb, 0xbf, 0x22))).toEqual({ ok: true, text: '"\ufeff"' });
  });

  it.each([
    ['a lone continuation byte', [0x7b, 0x80, 0x7d], 1],
    ['latin-1 é', [0x22, 0x63, 0x61, 0x66, 0xe9, 0x22], 4],
    ['an overlong "/"', [0x20, 0xc0, 0xaf], 1],
    ['an overlong 3-byte form', [0xe0, 0x80, 0xaf], 0],
    ['an encoded surrogate', [0x41, 0xed, 0xa0, 0x80], 1],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a sequence cut short at the end', [0x41, 0x42, 0xe4, 0xb8], 2],
    ['a sequence cut short by ASCII', [0xe4, 0x41, 0x42], 0],
    ['0xff', [0x30, 0xff], 1],
    ['a UTF-16 byte order mark', [0xff, 0xfe, 0x7b, 0x00], 0],
  ])('refuses %s, naming the offset of its first bad byte', (_what, values, offset) => {
    expect(decodeUtf8(bytes(...values))).toEqual({ ok: false, offset });
  });

  it('agrees with TextDecoder on what is valid, for any bytes', () => {
    fc.assert(
      fc.property(bytesToTry, (input) => {
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(input);
        } catch {
          valid = false;
        }
        expect(firstInvalidUtf8(input) === -1).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('firstNonAscii', () => {
  it('finds the first byte above 0x7f', () => {
    expect(firstNonAscii(bytes(0x41, 0x7f, 0xc3, 0xa9))).toBe(2);
    expect(firstNonAscii(bytes(0x41, 0x42))).toBe(-1);
  });
});
