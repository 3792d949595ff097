/**
 * JSONata's array, object and higher-order built-ins, ported from jsonata 2.x `src/functions.js`:
 * results are sequences where jsonata makes sequences, objects are prototype-less where jsonata
 * makes them so, and function arguments are called with the arity-dependent argument lists.
 */
import { jsonataError } from '../errors.js';
import { arityOf, applyMarked, callArgument } from '../runtime.js';
import { append, boolean, createSequence, isArrayOfNumbers, isArrayOfStrings, isDeepEqual, isFunction, isNumeric, isSequence, keysOf, nullProtoObject } from '../sequence.js';

/** `$lookup(input, key)`; also what a name step in a path does. */
export function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = createSequence();
    for (const item of input) {
      const res = lookup(item, key);
      if (res !== undefined) {
        if (Array.isArray(res)) for (const value of res) result.push(value);
        else result.push(res);
      }
    }
    return result;
  }
  if (input !== null && typeof input === 'object' && Object.prototype.hasOwnProperty.call(input, key) && !isFunction(input)) return (input as Record<string, unknown>)[key];
  return undefined;
}

/** `$keys(value)`: an object's keys, or the union of the keys of an array's objects. */
export function keys(arg: unknown): unknown {
  if (Array.isArray(arg)) {
    const merged = Object.create(null) as Record<string, boolean>;
    for (const item of arg) for (const key of keys(item) as string[]) merged[key] = true;
    return keys(merged);
  }
  const result = createSequence();
  if (arg !== null && typeof arg === 'object' && !isFunction(arg)) for (const key of keysOf(arg)) result.push(key);
  return result;
}

/** `$merge(objects)`: later keys win. */
export function merge(arg: unknown[] | undefined): unknown {
  if (arg === undefined) return undefined;
  const result = nullProtoObject();
  for (const obj of arg) for (const key of keysOf(obj)) result[key] = (obj as Record<string, unknown>)[key];
  return result;
}

/** `$spread(value)`. */
export function spread(arg: unknown): unknown {
  let result: unknown = createSequence();
  if (Array.isArray(arg)) {
    for (const item of arg) result = append(result, spread(item));
  } else if (arg !== null && typeof arg === 'object' && (arg as { _jsonata_lambda?: unknown })._jsonata_lambda !== true) {
    for (const key of keysOf(arg)) {
      const obj = nullProtoObject();
      obj[key] = (arg as Record<string, unknown>)[key];
      (result as unknown[]).push(obj);
    }
  } else result = arg;
  return result;
}

/** `$reverse(array)`. */
export function reverse(arr: unknown[] | undefined): unknown {
  if (arr === undefined) return undefined;
  if (arr.length <= 1) return arr;
  const result = new Array(arr.length);
  for (let i = 0; i < arr.length; i++) result[arr.length - i - 1] = arr[i];
  return result;
}

/** `$distinct(array)`: first occurrences, by deep equality. */
export function distinct(arr: unknown): unknown {
  if (arr === undefined) return undefined;
  if (!Array.isArray(arr) || arr.length <= 1) return arr;
  const results: unknown[] = isSequence(arr) ? createSequence() : [];
  for (const value of arr) if (!results.some((seen) => isDeepEqual(value, seen))) results.push(value);
  return results;
}

/** `$type(value)`. */
export function type(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'null';
  if (isNumeric(value)) return 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  if (isFunction(value)) return 'function';
  return 'object';
}

/** `$error(message?)`. */
export function error(message?: string): never {
  throw jsonataError('D3137', { message: message || '$error() function evaluated' });
}

/** `$sum`, `$max`, `$min`, `$average` over an array of numbers. */
export const aggregates = {
  sum: (args: number[] | undefined) => (args === undefined ? undefined : args.reduce((total, n) => total + n, 0)),
  max: (args: number[] | undefined) => (args === undefined || args.length === 0 ? undefined : Math.max(...args)),
  min: (args: number[] | undefined) => (args === undefined || args.length === 0 ? undefined : Math.min(...args)),
  average: (args: number[] | undefined) => (args === undefined || args.length === 0 ? undefined : args.reduce((total, n) => total + n, 0) / args.length),
};

/** `$map(array, fn)`. */
export function map(arr: unknown[] | undefined, fn: unknown): unknown {
  if (arr === undefined) return undefined;
  const result = createSequence();
  for (let i = 0; i < arr.length; i++) {
    const res = callArgument(fn, arr[i], i, arr);
    if (res !== undefined) result.push(res);
  }
  return result;
}

/** `$filter(array, fn)`. */
export function filter(arr: unknown[] | undefined, fn: unknown): unknown {
  if (arr === undefined) return undefined;
  const result = createSequence();
  for (let i = 0; i < arr.length; i++) if (boolean(callArgument(fn, arr[i], i, arr))) result.push(arr[i]);
  return result;
}

/** `$reduce(array, fn, init?)`. */
export function reduce(sequence: unknown[] | undefined, fn: unknown, init?: unknown): unknown {
  if (sequence === undefined) return undefined;
  const arity = arityOf(fn);
  if (arity < 2) throw jsonataError('D3050', { index: 1 });
  let result: unknown;
  let index: number;
  if (init === undefined && sequence.length > 0) {
    result = sequence[0];
    index = 1;
  } else {
    result = init;
    index = 0;
  }
  for (; index < sequence.length; index++) {
    const args = [result, sequence[index]];
    if (arity >= 3) args.push(index);
    if (arity >= 4) args.push(sequence);
    result = applyMarked(fn, args, null);
  }
  return result;
}

/** `$each(object, fn)`. */
export function each(obj: unknown, fn: unknown): unknown {
  const result = createSequence();
  for (const key of keysOf(obj)) {
    const value = callArgument(fn, (obj as Record<string, unknown>)[key], key, obj);
    if (value !== undefined) result.push(value);
  }
  return result;
}

/** `$sift(object, fn)`: undefined when nothing passes. */
export function sift(arg: unknown, fn: unknown): unknown {
  const result = nullProtoObject();
  for (const key of keysOf(arg)) {
    const entry = (arg as Record<string, unknown>)[key];
    if (boolean(callArgument(fn, entry, key, arg))) result[key] = entry;
  }
  return keysOf(result).length === 0 ? undefined : result;
}

/** `$sort(array, before?)`: jsonata's stable merge sort; `before(a, b)` true means b comes first. */
export function sort(arr: unknown[] | undefined, comparator?: unknown): unknown {
  if (arr === undefined) return undefined;
  if (arr.length <= 1) return arr;
  let swap: (a: unknown, b: unknown) => unknown;
  if (comparator === undefined) {
    if (!isArrayOfNumbers(arr) && !isArrayOfStrings(arr)) throw jsonataError('D3070', { index: 1 });
    swap = (a, b) => (a as number) > (b as number);
  } else swap = (a, b) => applyMarked(comparator, [a, b], null);
  const mergeSorted = (left: unknown[], right: unknown[]): unknown[] => {
    const merged: unknown[] = [];
    let l = 0;
    let r = 0;
    while (l < left.length && r < right.length) {
      if (swap(left[l], right[r])) merged.push(right[r++]);
      else merged.push(left[l++]);
    }
    while (l < left.length) merged.push(left[l++]);
    while (r < right.length) merged.push(right[r++]);
    return merged;
  };
  const msort = (array: unknown[]): unknown[] => {
    if (array.length <= 1) return array;
    const middle = Math.floor(array.length / 2);
    return mergeSorted(msort(array.slice(0, middle)), msort(array.slice(middle)));
  };
  return msort(arr);
}
