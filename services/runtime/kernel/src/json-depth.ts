/**
 * The deepest nesting of objects and arrays a JSON body may have. V8's `JSON.parse` recurses, so a
 * 100k-deep body throws a stack overflow (a 500, and a stack's worth of work) instead of a clean 400;
 * real webhook and API payloads stay far below 64 levels.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests deeper than `max`, found by one linear pass over the bytes before any parse.
 * Brackets inside strings are skipped; UTF-8 continuation bytes never equal these ASCII bytes, so the
 * scan is exact on raw bytes. Malformed input is not judged here: `JSON.parse` still refuses it.
 */
export function jsonTooDeep(json: Uint8Array | string, max = MAX_JSON_DEPTH): boolean {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}
