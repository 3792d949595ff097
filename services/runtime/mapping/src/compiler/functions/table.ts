/**
 * The built-in functions compiled expressions can call: JSONata's own (with the signatures and
 * native arities jsonata 2.x declares them with) and the mapping library (`$isoDate`, …, `$config`,
 * `$sha256`). A function missing here (`$eval`, `$now`, `$formatNumber`, …) makes the expression
 * fall back to the jsonata interpreter.
 */
import { sha256Hex } from '@switchyard/kernel';
import { configValue, email, enumValue, isoDate, isoDateTime, money, phone } from '../../mapping-functions.js';
import { run, type BuiltinFunction } from '../runtime.js';
import { append, boolean } from '../sequence.js';
import { parseSignature } from '../signature.js';
import { aggregates, distinct, each, error, filter, keys, lookup, map, merge, reduce, reverse, sift, sort, spread, type } from './collections.js';
import { fromMillis, toMillis } from './datetime.js';
import { assert, base64, formatBase, power, single, sqrt, urls, zip } from './more.js';
import { contains, match, number, pad, replace, round, split, string, substring, substringAfter, substringBefore, trim } from './strings.js';

type Impl = (...args: any[]) => unknown;

/** What the table is built from: implementation, signature, native arity. */
interface Entry {
  impl: Impl;
  signature: string;
  arity: number;
}

const str = (f: (s: string) => unknown) => (s: string | undefined) => (s === undefined ? undefined : f(s));
const num = (f: (n: number) => unknown) => (n: number | undefined) => (n === undefined ? undefined : f(n));

/** Options of the mapping library inside compiled expressions (as `registerMappingFunctions` takes them). */
export interface LibraryOptions {
  /** A fixed config for `$config`; otherwise the evaluation's `account.config`. */
  config?: Record<string, unknown>;
}

function entries(options: LibraryOptions): Record<string, Entry> {
  return {
    sum: { impl: aggregates.sum, signature: '<a<n>:n>', arity: 1 },
    count: { impl: (args: unknown[] | undefined) => (args === undefined ? 0 : args.length), signature: '<a:n>', arity: 1 },
    max: { impl: aggregates.max, signature: '<a<n>:n>', arity: 1 },
    min: { impl: aggregates.min, signature: '<a<n>:n>', arity: 1 },
    average: { impl: aggregates.average, signature: '<a<n>:n>', arity: 1 },
    string: { impl: string, signature: '<x-b?:s>', arity: 1 },
    substring: { impl: substring, signature: '<s-nn?:s>', arity: 3 },
    substringBefore: { impl: substringBefore, signature: '<s-s:s>', arity: 2 },
    substringAfter: { impl: substringAfter, signature: '<s-s:s>', arity: 2 },
    lowercase: { impl: str((s) => s.toLowerCase()), signature: '<s-:s>', arity: 1 },
    uppercase: { impl: str((s) => s.toUpperCase()), signature: '<s-:s>', arity: 1 },
    length: { impl: str((s) => Array.from(s).length), signature: '<s-:n>', arity: 1 },
    trim: { impl: trim, signature: '<s-:s>', arity: 1 },
    pad: { impl: pad, signature: '<s-ns?:s>', arity: 3 },
    match: { impl: match, signature: '<s-f<s:o>n?:a<o>>', arity: 3 },
    contains: { impl: contains, signature: '<s-(sf):b>', arity: 2 },
    replace: { impl: replace, signature: '<s-(sf)(sf)n?:s>', arity: 4 },
    split: { impl: split, signature: '<s-(sf)n?:a<s>>', arity: 3 },
    join: { impl: (strs: string[] | undefined, sep?: string) => (strs === undefined ? undefined : strs.join(sep === undefined ? '' : sep)), signature: '<a<s>s?:s>', arity: 2 },
    number: { impl: number, signature: '<(nsb)-:n>', arity: 1 },
    floor: { impl: num(Math.floor), signature: '<n-:n>', arity: 1 },
    ceil: { impl: num(Math.ceil), signature: '<n-:n>', arity: 1 },
    round: { impl: round, signature: '<n-n?:n>', arity: 2 },
    abs: { impl: num(Math.abs), signature: '<n-:n>', arity: 1 },
    boolean: { impl: boolean, signature: '<x-:b>', arity: 1 },
    not: { impl: (v: unknown) => (v === undefined ? undefined : !boolean(v)), signature: '<x-:b>', arity: 1 },
    map: { impl: map, signature: '<af>', arity: 2 },
    filter: { impl: filter, signature: '<af>', arity: 2 },
    reduce: { impl: reduce, signature: '<afj?:j>', arity: 3 },
    sift: { impl: sift, signature: '<o-f?:o>', arity: 2 },
    keys: { impl: keys, signature: '<x-:a<s>>', arity: 1 },
    lookup: { impl: lookup, signature: '<x-s:x>', arity: 2 },
    append: { impl: append, signature: '<xx:a>', arity: 2 },
    exists: { impl: (v: unknown) => v !== undefined, signature: '<x:b>', arity: 1 },
    spread: { impl: spread, signature: '<x-:a<o>>', arity: 1 },
    merge: { impl: merge, signature: '<a<o>:o>', arity: 1 },
    reverse: { impl: reverse, signature: '<a:a>', arity: 1 },
    each: { impl: each, signature: '<o-f:a>', arity: 2 },
    error: { impl: error, signature: '<s?:x>', arity: 1 },
    type: { impl: type, signature: '<x:s>', arity: 1 },
    sort: { impl: sort, signature: '<af?:a>', arity: 2 },
    distinct: { impl: distinct, signature: '<x:x>', arity: 1 },
    toMillis: { impl: toMillis, signature: '<s-s?:n>', arity: 2 },
    sqrt: { impl: sqrt, signature: '<n-:n>', arity: 1 },
    power: { impl: power, signature: '<n-n:n>', arity: 2 },
    formatBase: { impl: formatBase, signature: '<n-n?:s>', arity: 2 },
    assert: { impl: assert, signature: '<bs?:x>', arity: 2 },
    single: { impl: single, signature: '<af?>', arity: 2 },
    zip: { impl: zip, signature: '<a+>', arity: 0 },
    base64encode: { impl: base64.encode, signature: '<s-:s>', arity: 1 },
    base64decode: { impl: base64.decode, signature: '<s-:s>', arity: 1 },
    encodeUrlComponent: { impl: urls.encodeUrlComponent, signature: '<s-:s>', arity: 1 },
    encodeUrl: { impl: urls.encodeUrl, signature: '<s-:s>', arity: 1 },
    decodeUrlComponent: { impl: urls.decodeUrlComponent, signature: '<s-:s>', arity: 1 },
    decodeUrl: { impl: urls.decodeUrl, signature: '<s-:s>', arity: 1 },
    fromMillis: { impl: fromMillis, signature: '<n-s?s?:s>', arity: 3 },
    isoDate: { impl: (v: unknown) => isoDate(v), signature: '<j?:s>', arity: 1 },
    isoDateTime: { impl: (v: unknown) => isoDateTime(v), signature: '<j?:s>', arity: 1 },
    phone: { impl: (v: unknown, code?: unknown) => phone(v, code), signature: '<j?j?:s>', arity: 2 },
    email: { impl: (v: unknown) => email(v), signature: '<j?:s>', arity: 1 },
    enum: { impl: (v: unknown, m: unknown, f?: unknown) => enumValue(v, m, f), signature: '<j?j?j?:j>', arity: 3 },
    money: { impl: (a: unknown, c?: unknown) => money(a, c), signature: '<j?j?:o>', arity: 2 },
    config: {
      impl: (path: unknown, fallback?: unknown) => configValue(options.config ?? configValue(run().root, 'account.config'), path) ?? fallback,
      signature: '<sj?:j>',
      arity: 2,
    },
    sha256: { impl: (v: string | undefined) => (v === undefined ? undefined : sha256Hex(v)), signature: '<s?:s>', arity: 1 },
  };
}

/** The built-ins as function values, by name (without `$`). */
export function builtinFunctions(options: LibraryOptions = {}): Map<string, BuiltinFunction> {
  const table = new Map<string, BuiltinFunction>();
  for (const [name, entry] of Object.entries(entries(options))) {
    const impl = entry.impl;
    table.set(name, {
      _jsonata_function: true,
      name,
      arity: entry.arity,
      signature: parseSignature(entry.signature),
      implementation: (args: unknown[]) => impl(...args),
      direct: impl,
    });
  }
  return table;
}
