/**
 * `$toMillis` and `$fromMillis` for the forms mappings use: ISO 8601 in, and out either ISO 8601 or
 * a picture made only of zero-padded UTC fields (`[Y0001]-[M01]-[D01] [H01]:[m01]:[s01]`). Any other
 * picture, a timezone, or a year outside 1000–9999 is handed back to jsonata ({@link OutsideSubset}).
 */
import { jsonataError, OutsideSubset } from '../errors.js';

// jsonata 2.x's own test for a picture-less $toMillis.
const ISO8601 = /^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$/;

/** `$toMillis(timestamp)`; a picture falls back to jsonata. */
export function toMillis(timestamp: string | undefined, picture?: string): number | undefined {
  if (timestamp === undefined) return undefined;
  if (picture !== undefined) throw new OutsideSubset('$toMillis with a picture string');
  if (!ISO8601.test(timestamp)) throw jsonataError('D3110', { value: timestamp });
  return Date.parse(timestamp);
}

const FIELDS: Record<string, (d: Date) => string> = {
  '[Y0001]': (d) => String(d.getUTCFullYear()).padStart(4, '0'),
  '[M01]': (d) => String(d.getUTCMonth() + 1).padStart(2, '0'),
  '[D01]': (d) => String(d.getUTCDate()).padStart(2, '0'),
  '[H01]': (d) => String(d.getUTCHours()).padStart(2, '0'),
  '[m01]': (d) => String(d.getUTCMinutes()).padStart(2, '0'),
  '[s01]': (d) => String(d.getUTCSeconds()).padStart(2, '0'),
  '[f001]': (d) => String(d.getUTCMilliseconds()).padStart(3, '0'),
};

/** `$fromMillis(millis, picture?)` in UTC; other pictures and any timezone fall back to jsonata. */
export function fromMillis(millis: number | undefined, picture?: string, timezone?: string): string | undefined {
  if (millis === undefined) return undefined;
  if (timezone !== undefined) throw new OutsideSubset('$fromMillis with a timezone');
  const date = new Date(millis);
  const year = date.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) throw new OutsideSubset('$fromMillis outside the years 1000-9999');
  if (picture === undefined) return date.toISOString();
  let out = '';
  for (const part of picture.split(/(\[[^\]]*\])/)) {
    if (part === '') continue;
    if (part.startsWith('[')) {
      const field = FIELDS[part];
      if (!field) throw new OutsideSubset(`$fromMillis picture component ${part}`);
      out += field(date);
    } else if (part.includes(']') || part.includes('[')) throw new OutsideSubset('$fromMillis picture with a stray bracket');
    else out += part;
  }
  return out;
}
