/**
 * JSONata's string and number built-ins, ported from jsonata 2.x `src/functions.js` so that compiled
 * expressions format and fail exactly as the interpreter does (`$string` number formatting to 15
 * significant digits, `$number`'s accepted forms, banker's rounding in `$round`, code-point
 * indexing in `$substring`).
 */
import { jsonataError } from '../errors.js';
import { createSequence, isFunction, isNumeric } from '../sequence.js';
import type { Matcher } from './regex.js';
import { nextMatch } from './regex.js';
import { applyMarked } from '../runtime.js';

/** `$string(value, prettify?)`. */
export function string(arg: unknown, prettify: unknown = false): string | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'string') return arg;
  if (isFunction(arg)) return '';
  if (typeof arg === 'number' && !Number.isFinite(arg)) throw jsonataError('D3001', { value: arg });
  const value = Array.isArray(arg) && (arg as { outerWrapper?: boolean }).outerWrapper ? arg[0] : arg;
  return JSON.stringify(
    value,
    (_key, val: unknown) => {
      if (val !== undefined && val !== null && isNumeric(val)) return !Number.isInteger(val) ? Number(val.toPrecision(15)) : val;
      return val && isFunction(val) ? '' : val;
    },
    prettify ? 2 : 0,
  );
}

function codePoints(text: string): string[] {
  return Array.from(text);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** `$substring(str, start, length?)`, counted in code points. */
export function substring(str: string | undefined, start: number, length?: number): string | undefined {
  if (str === undefined) return undefined;
  // Without surrogates, code points are UTF-16 units: the same slice without splitting the string.
  if (!SURROGATE.test(str) && Number.isInteger(start) && (length === undefined || Number.isInteger(length))) return unitSubstring(str, start, length);
  const chars = codePoints(str);
  if (chars.length + start < 0) start = 0;
  if (length !== undefined) {
    if (length <= 0) return '';
    const end = start >= 0 ? start + length : chars.length + start + length;
    return chars.slice(start, end).join('');
  }
  return chars.slice(start).join('');
}

function unitSubstring(str: string, start: number, length?: number): string {
  const size = str.length;
  if (size + start < 0) start = 0;
  const from = start < 0 ? Math.max(size + start, 0) : start;
  if (length === undefined) return str.slice(from);
  if (length <= 0) return '';
  const end = start >= 0 ? start + length : size + start + length;
  return str.slice(from, end < 0 ? Math.max(size + end, 0) : end);
}

/** `$substringBefore(str, chars)`. */
export function substringBefore(str: string | undefined, chars: string): string | undefined {
  if (str === undefined) return undefined;
  const pos = str.indexOf(chars);
  return pos > -1 ? str.substring(0, pos) : str;
}

/** `$substringAfter(str, chars)`. */
export function substringAfter(str: string | undefined, chars: string): string | undefined {
  if (str === undefined) return undefined;
  const pos = str.indexOf(chars);
  return pos > -1 ? str.substring(pos + chars.length) : str;
}

/** `$trim(str)`: whitespace runs become one space, then the ends are stripped. */
export function trim(str: string | undefined): string | undefined {
  if (str === undefined) return undefined;
  let result = str.replace(/[ \t\n\r]+/gm, ' ');
  if (result.charAt(0) === ' ') result = result.substring(1);
  if (result.charAt(result.length - 1) === ' ') result = result.substring(0, result.length - 1);
  return result;
}

/** `$pad(str, width, char?)`. */
export function pad(str: string | undefined, width: number, char?: string): string | undefined {
  if (str === undefined) return undefined;
  if (char === undefined || char.length === 0) char = ' ';
  width = Math.trunc(width);
  const padLength = Math.abs(width) - codePoints(str).length;
  if (padLength <= 0) return str;
  let padding = new Array(padLength + 1).join(char);
  if (char.length > 1) padding = substring(padding, 0, padLength)!;
  return width > 0 ? str + padding : padding + str;
}

/** `$contains(str, token)`: a substring or a regex. */
export function contains(str: string | undefined, token: string | Matcher | undefined): boolean | undefined {
  if (str === undefined || token === undefined) return undefined;
  if (typeof token === 'string') return str.indexOf(token) !== -1;
  return nextMatch(token, str) !== undefined;
}

/** `$match(str, regex, limit?)`: a sequence of `{match, index, groups}`. */
export function match(str: string | undefined, regex: Matcher, limit?: number): unknown {
  if (str === undefined) return undefined;
  if (limit !== undefined && limit < 0) throw jsonataError('D3040', { value: limit, index: 3 });
  const result = createSequence();
  if (limit === undefined || limit > 0) {
    let count = 0;
    let found = nextMatch(regex, str);
    while (found !== undefined && (limit === undefined || count < limit)) {
      result.push({ match: found.match, index: found.start, groups: found.groups });
      found = nextMatch(found.next);
      count++;
    }
  }
  return result;
}

function substitute(replacement: string, found: { match: string; groups: unknown[] }): string {
  let out = '';
  let position = 0;
  let index = replacement.indexOf('$', position);
  while (index !== -1 && position < replacement.length) {
    out += replacement.substring(position, index);
    position = index + 1;
    const dollar = replacement.charAt(position);
    if (dollar === '$') {
      out += '$';
      position++;
    } else if (dollar === '0') {
      out += found.match;
      position++;
    } else {
      const maxDigits = found.groups.length === 0 ? 1 : Math.floor(Math.log(found.groups.length) * Math.LOG10E) + 1;
      index = parseInt(replacement.substring(position, position + maxDigits), 10);
      if (maxDigits > 1 && index > found.groups.length) index = parseInt(replacement.substring(position, position + maxDigits - 1), 10);
      if (!Number.isNaN(index)) {
        if (found.groups.length > 0) {
          const sub = found.groups[index - 1];
          if (sub !== undefined) out += sub;
        }
        position += index.toString().length;
      } else out += '$';
    }
    index = replacement.indexOf('$', position);
  }
  return out + replacement.substring(position);
}

/** `$replace(str, pattern, replacement, limit?)`: the replacement is a string (`$1` groups) or a function of the match. */
export function replace(str: string | undefined, pattern: string | Matcher, replacement: unknown, limit?: number): string | undefined {
  if (str === undefined) return undefined;
  if (pattern === '') throw jsonataError('D3010', { value: pattern, index: 2 });
  if (limit !== undefined && limit < 0) throw jsonataError('D3011', { value: limit, index: 4 });
  if (limit !== undefined && limit <= 0) return str;
  let result = '';
  let position = 0;
  let count = 0;
  if (typeof pattern === 'string') {
    let index = str.indexOf(pattern, position);
    while (index !== -1 && (limit === undefined || count < limit)) {
      result += str.substring(position, index) + (replacement as string);
      position = index + pattern.length;
      count++;
      index = str.indexOf(pattern, position);
    }
    return result + str.substring(position);
  }
  let found = nextMatch(pattern, str);
  if (found === undefined) return str;
  while (found !== undefined && (limit === undefined || count < limit)) {
    result += str.substring(position, found.start);
    const replaced: unknown = typeof replacement === 'string' ? substitute(replacement, found) : applyMarked(replacement, [found], null);
    if (typeof replaced !== 'string') throw jsonataError('D3012', { value: replaced });
    result += replaced;
    position = found.start + found.match.length;
    count++;
    found = nextMatch(found.next);
  }
  return result + str.substring(position);
}

/** `$split(str, separator, limit?)`. */
export function split(str: string | undefined, separator: string | Matcher, limit?: number): string[] | undefined {
  if (str === undefined) return undefined;
  if (limit !== undefined && limit < 0) throw jsonataError('D3020', { value: limit, index: 3 });
  let result: string[] = [];
  if (limit !== undefined && limit <= 0) return result;
  if (typeof separator === 'string') return str.split(separator, limit);
  let count = 0;
  let found = nextMatch(separator, str);
  if (found === undefined) return [str];
  let start = 0;
  while (found !== undefined && (limit === undefined || count < limit)) {
    result.push(str.substring(start, found.start));
    start = found.end;
    found = nextMatch(found.next);
    count++;
  }
  if (limit === undefined || count < limit) result.push(str.substring(start));
  return result;
}

/** `$number(value)`. */
export function number(arg: unknown): number | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') return arg;
  if (typeof arg === 'string' && /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/.test(arg) && !Number.isNaN(parseFloat(arg)) && Number.isFinite(Number(arg))) return parseFloat(arg);
  if (typeof arg === 'string' && /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/.test(arg)) return Number(arg);
  if (arg === true) return 1;
  if (arg === false) return 0;
  throw jsonataError('D3030', { value: arg, index: 1 });
}

/** `$round(value, precision?)`: half to even. */
export function round(arg: number | undefined, precision?: number): number | undefined {
  if (arg === undefined) return undefined;
  if (precision) {
    const value = arg.toString().split('e');
    arg = +(value[0] + 'e' + (value[1] ? +value[1] + precision : precision));
  }
  let result = Math.round(arg);
  const diff = result - arg;
  if (Math.abs(diff) === 0.5 && Math.abs(result % 2) === 1) result = result - 1;
  if (precision) {
    const value = result.toString().split('e');
    result = +(value[0] + 'e' + (value[1] ? +value[1] - precision : -precision));
  }
  return Object.is(result, -0) ? 0 : result;
}
