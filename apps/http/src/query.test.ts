import { ServiceError } from '@pipelinejobs/service';
import { describe, expect, it } from 'vitest';
import { parseQuery } from './query.js';

describe('the strict query parser', () => {
  it('reads parameters like the simple parser: repeats as lists, + as space, no prototype', () => {
    const query = parseQuery('a=1&a=2&b&c=x+y%20z&__proto__=p');
    expect({ ...query }).toEqual({ a: ['1', '2'], b: '', c: 'x y z', ['__proto__']: 'p' });
    expect(Object.getPrototypeOf(query)).toBeNull();
  });

  it.each(['note=%FF', 'note=%C0%AF', 'note=%ED%A0%80', 'note=a%00b', '%FF=1', 'note=%E2%82'])(
    'refuses %s with a 400 naming the parameter, instead of storing a replacement character',
    (text) => {
      expect(() => parseQuery(text)).toThrow(ServiceError);
    },
  );
});
