/**
 * The rest of JSONata's simple built-ins, ported from jsonata 2.x `src/functions.js`: encodings,
 * `$sqrt`/`$power`/`$formatBase`, `$assert`, `$single`, `$zip`. Same results, same error codes.
 */
import { jsonataError } from '../errors.js';
import { callArgument } from '../runtime.js';
import { boolean } from '../sequence.js';
import { round } from './strings.js';

const uri = (name: string, fn: (s: string) => string) => (str: string | undefined) => {
  if (str === undefined) return undefined;
  try {
    return fn(str);
  } catch {
    throw jsonataError('D3140', { value: str, functionName: name } as never);
  }
};

/** `$encodeUrlComponent`, `$encodeUrl`, `$decodeUrlComponent`, `$decodeUrl` (D3140 on a malformed sequence). */
export const urls = {
  encodeUrlComponent: uri('encodeUrlComponent', encodeURIComponent),
  encodeUrl: uri('encodeUrl', encodeURI),
  decodeUrlComponent: uri('decodeUrlComponent', decodeURIComponent),
  decodeUrl: uri('decodeUrl', decodeURI),
};

/** `$base64encode` / `$base64decode`, through binary strings as jsonata does in Node. */
export const base64 = {
  encode: (str: string | undefined) => (str === undefined ? undefined : Buffer.from(str, 'binary').toString('base64')),
  decode: (str: string | undefined) => (str === undefined ? undefined : Buffer.from(str, 'base64').toString('binary')),
};

/** `$sqrt(n)`: D3060 for a negative number. */
export function sqrt(arg: number | undefined): number | undefined {
  if (arg === undefined) return undefined;
  if (arg < 0) throw jsonataError('D3060', { index: 1, value: arg });
  return Math.sqrt(arg);
}

/** `$power(base, exponent)`: D3061 when the result is not a finite number. */
export function power(arg: number | undefined, exp: number): number | undefined {
  if (arg === undefined) return undefined;
  const result = Math.pow(arg, exp);
  if (!Number.isFinite(result)) throw jsonataError('D3061', { index: 1, value: arg, exp } as never);
  return result;
}

/** `$formatBase(n, radix?)`. */
export function formatBase(value: number | undefined, radix?: number): string | undefined {
  if (value === undefined) return undefined;
  const n = round(value)!;
  const base = radix === undefined ? 10 : round(radix)!;
  if (base < 2 || base > 36) throw jsonataError('D3100', { value: base });
  return n.toString(base);
}

/** `$assert(condition, message?)`: D3141 when the condition is false. */
export function assert(condition: boolean, message?: string): undefined {
  if (!condition) throw jsonataError('D3141', { message: message || '$assert() statement failed' });
  return undefined;
}

/** `$single(array, fn?)`: the one matching item (D3138 for more, D3139 for none). */
export function single(arr: unknown[] | undefined, fn?: unknown): unknown {
  if (arr === undefined) return undefined;
  let found = false;
  let result: unknown;
  for (let i = 0; i < arr.length; i++) {
    const positive = fn === undefined ? true : boolean(callArgument(fn, arr[i], i, arr));
    if (!positive) continue;
    if (found) throw jsonataError('D3138', { index: i });
    result = arr[i];
    found = true;
  }
  if (!found) throw jsonataError('D3139');
  return result;
}

/** `$zip(array, ...)`: tuples up to the shortest array. */
export function zip(...args: unknown[]): unknown[] {
  const length = Math.min(...args.map((arg) => (Array.isArray(arg) ? arg.length : 0)));
  const result: unknown[] = [];
  for (let i = 0; i < length; i++) result.push(args.map((arg) => (arg as unknown[])[i]));
  return result;
}
