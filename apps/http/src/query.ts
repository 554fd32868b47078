import { ServiceError } from '@pipelinejobs/service';

/** Decodes one `application/x-www-form-urlencoded` component, strictly (UTF-8, no NUL). */
function decode(text: string, name: string | undefined): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new ServiceError(
      'invalid',
      `The URL parameter ${name === undefined ? 'name' : `'${name.slice(0, 40)}'`} is not percent-encoded UTF-8; encode the text as UTF-8 (a literal % as %25)`,
    );
  }
  if (decoded.includes('\u0000')) {
    throw new ServiceError(
      'invalid',
      `The URL parameter '${(name ?? decoded).slice(0, 40)}' holds a NUL character (%00), which cannot be stored`,
    );
  }
  return decoded;
}

/**
 * The query string parser of the app (Express's `query parser` setting): `a=1&a=2&b` as
 * `{a: ['1', '2'], b: ''}`, like the `simple` parser, but strict: a parameter that is not valid
 * UTF-8 (`%FF`, an overlong or surrogate sequence) or holds a NUL is a 400 naming it, where
 * Node's querystring would store U+FFFD in its place. Keys are kept as data (no prototype).
 */
export function parseQuery(text: string | null | undefined): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const part of (text ?? '').split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = decode(equals === -1 ? part : part.slice(0, equals), undefined);
    const value = equals === -1 ? '' : decode(part.slice(equals + 1), name);
    const before = query[name];
    if (before === undefined) query[name] = value;
    else if (Array.isArray(before)) before.push(value);
    else query[name] = [before, value];
  }
  return query;
}
