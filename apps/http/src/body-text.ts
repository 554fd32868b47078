import { decodeUtf8, firstNonAscii } from '@pipelinejobs/core';
import { ServiceError } from '@pipelinejobs/service';

/** The charsets a body may declare: UTF-8 and its ASCII subset; any other is a 415. */
const ACCEPTED_CHARSETS = ['utf-8', 'utf8', 'us-ascii'] as const;

/** `; name=value` parameters of a media type, the value a token or a quoted string. */
const PARAMETER = /;\s*([^\s;=]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)/g;

/** Every charset parameter of a Content-Type, lower-cased and unquoted (a header may, wrongly, hold two). */
export function declaredCharsets(contentType: string): string[] {
  const charsets: string[] = [];
  for (const [, name = '', value = ''] of contentType.matchAll(PARAMETER)) {
    if (name.toLowerCase() !== 'charset') continue;
    const trimmed = value.trim();
    const unquoted = trimmed.startsWith('"') ? trimmed.slice(1, -1).replace(/\\(.)/g, '$1') : trimmed;
    charsets.push(unquoted.toLowerCase());
  }
  return charsets;
}

/** A header value fit to quote in a problem: printable ASCII, and short. */
const shown = (value: string): string => value.replace(/[^\x21-\x7e]/g, '?').slice(0, 40);

/**
 * The text of a body: its bytes as UTF-8, refused rather than guessed. A declared charset other than
 * UTF-8 or US-ASCII is a 415 (iso-8859-1 would otherwise be read as UTF-8); bytes that are not UTF-8
 * (or not ASCII when us-ascii is declared) are a 400 naming the offset of the first bad byte. A UTF-8
 * byte order mark at the start is dropped.
 */
export function bodyText(bytes: Uint8Array, contentType: string): string {
  const charsets = declaredCharsets(contentType);
  const refused = charsets.find((charset) => !(ACCEPTED_CHARSETS as readonly string[]).includes(charset));
  if (refused !== undefined) {
    throw new ServiceError(
      'unsupported_media_type',
      `The body is declared as charset=${shown(refused)}: send it encoded as UTF-8, with charset=utf-8 or no charset (accepted: ${ACCEPTED_CHARSETS.join(', ')})`,
    );
  }
  if (charsets.includes('us-ascii')) {
    const offset = firstNonAscii(bytes);
    if (offset !== -1) {
      throw new ServiceError(
        'invalid',
        `The body is declared as charset=us-ascii but the byte at offset ${offset} is not ASCII: declare charset=utf-8 and send UTF-8`,
      );
    }
  }
  const decoded = decodeUtf8(bytes);
  if (decoded.ok) return decoded.text;
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  throw new ServiceError(
    'invalid',
    `The body is not valid UTF-8: the byte at offset ${decoded.offset} does not begin a UTF-8 sequence${utf16 ? ' (the body looks like UTF-16)' : ''}. Send the body encoded as UTF-8`,
  );
}
