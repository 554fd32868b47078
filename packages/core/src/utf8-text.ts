/**
 * Strict UTF-8 decoding of input bytes: invalid bytes are refused, never replaced by U+FFFD (which would
 * store something other than what was sent). A UTF-8 byte order mark at the start is dropped: RFC 8259
 * lets a JSON parser ignore one, and some Windows tools write it.
 */

const strict = new TextDecoder('utf-8', { fatal: true });

export type Utf8Decoding =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly offset: number };

/** The text of UTF-8 bytes, or the offset of the first byte that does not begin a valid UTF-8 sequence. */
export function decodeUtf8(bytes: Uint8Array): Utf8Decoding {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    return { ok: false, offset: Math.max(0, firstInvalidUtf8(bytes)) };
  }
}

/**
 * The offset of the lead byte of the first ill-formed sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence), or -1 when the bytes are valid UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let continuation: number;
    let low = 0x80; // the allowed range of the first continuation byte
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuation = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= continuation; k++) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += continuation + 1;
  }
  return -1;
}

/** The offset of the first byte that is not ASCII, or -1. */
export function firstNonAscii(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return i;
  return -1;
}
