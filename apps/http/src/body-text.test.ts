import { describe, expect, it } from 'vitest';
import { bodyText, declaredCharsets } from './body-text.js';

describe('declaredCharsets', () => {
  it.each([
    ['application/json', []],
    ['application/json; charset=UTF-8', ['utf-8']],
    ['application/json;charset="utf-8"', ['utf-8']],
    ['application/json; foo="a;charset=latin1"; charset=utf8', ['utf8']],
    ['application/json; Charset = "us-\\ascii"', ['us-ascii']],
    ['application/json; charset=utf-8; charset=latin1', ['utf-8', 'latin1']],
    ['application/json; charset=', ['']],
    ['text/plain; format=flowed', []],
  ])('reads %s as %j', (contentType, expected) => {
    expect(declaredCharsets(contentType)).toEqual(expected);
  });
});

describe('bodyText', () => {
  const json = new TextEncoder().encode('{"a": "é"}');

  it('decodes UTF-8 with no charset or a UTF-8 one', () => {
    expect(bodyText(json, 'application/json')).toBe('{"a": "é"}');
    expect(bodyText(json, 'application/json; charset=UTF8')).toBe('{"a": "é"}');
  });

  it('refuses a second, other charset even after utf-8', () => {
    expect(() => bodyText(json, 'application/json; charset=utf-8; charset=latin1')).toThrow(
      expect.objectContaining({ code: 'unsupported_media_type' }),
    );
  });

  it('quotes a declared charset only as printable ASCII, and briefly', () => {
    expect(() => bodyText(json, `application/json; charset=${'x'.repeat(100)}\u0001`)).toThrow(
      /charset=x{40}:/,
    );
  });
});
