/**
 * JSONata's value model, reproduced for compiled expressions: sequences (arrays flagged `sequence`,
 * which collapse to their only item or to nothing), the `append` that builds them, truthiness, deep
 * equality and the numeric check that rejects Infinity/NaN. Each function follows jsonata 2.x
 * (`src/utils.js`, `src/functions.js`) exactly, because the compiled output must equal the
 * interpreter's value for value, flags included.
 */
import { jsonataError } from './errors.js';

/** A JSONata sequence: a plain array carrying the (enumerable) flags jsonata sets on it. */
export type Sequence = unknown[] & { sequence: true; keepSingleton?: boolean; outerWrapper?: boolean; tupleStream?: boolean };

/** A new empty sequence (jsonata's `createSequence()`). */
export function createSequence(): Sequence {
  const sequence = [] as unknown as Sequence;
  sequence.sequence = true;
  return sequence;
}

/** A sequence of one item, even `undefined` (jsonata's `createSequence(x)`). */
export function sequenceOf(item: unknown): Sequence {
  const sequence = [item] as unknown as Sequence;
  sequence.sequence = true;
  return sequence;
}

/** Whether `value` is a sequence (not a plain JSON array). */
export function isSequence(value: unknown): value is Sequence {
  return Array.isArray(value) && (value as Sequence).sequence === true;
}

/**
 * What jsonata's `evaluate` does to every node's result: an empty sequence is nothing, a singleton
 * sequence is its item (unless it must stay an array), anything else is left alone.
 */
export function settle(result: unknown): unknown {
  if (result && Array.isArray(result) && (result as Sequence).sequence === true && !(result as Sequence).tupleStream) {
    if (result.length === 0) return undefined;
    if (result.length === 1) return (result as Sequence).keepSingleton ? result : result[0];
  }
  return result;
}

/** A compiled or built-in function value, as jsonata's `isFunction` sees it. */
export function isFunction(value: unknown): boolean {
  return (
    (!!value && ((value as { _jsonata_function?: unknown })._jsonata_function === true || (value as { _jsonata_lambda?: unknown })._jsonata_lambda === true)) ||
    typeof value === 'function'
  );
}

/** A finite number; Infinity is an error (D1001), NaN is not a number. */
export function isNumeric(value: unknown): value is number {
  if (typeof value !== 'number') return false;
  if (Number.isNaN(value)) return false;
  if (!Number.isFinite(value)) throw jsonataError('D1001', { value });
  return true;
}

/** An array whose every item is numeric (true for an empty array, as in jsonata). */
export function isArrayOfNumbers(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!isNumeric(item)) return false;
  return true;
}

/** An array whose every item is a string. */
export function isArrayOfStrings(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

/** `Object.keys` of an object, nothing for anything else (jsonata's `utils.keys`). */
export function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value) : [];
}

/** JSONata's `$append` / sequence concatenation: undefined sides vanish, scalars become singletons. */
export function append(left: unknown, right: unknown): unknown {
  if (left === undefined) return right;
  if (right === undefined) return left;
  const l = Array.isArray(left) ? left : sequenceOf(left);
  const r = Array.isArray(right) ? right : [right];
  return l.concat(r);
}

/** The effective boolean value (jsonata's `$boolean`): undefined stays undefined. */
export function boolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 1) return boolean(value[0]);
    if (value.length > 1) return value.some((item) => boolean(item));
    return false;
  }
  if (typeof value === 'string') return value.length > 0;
  if (isNumeric(value)) return value !== 0;
  if (value !== null && typeof value === 'object' && !isFunction(value)) return keysOf(value).length > 0;
  return value === true;
}

/** Deep equality as the `=` operator and `$distinct` see it. */
export function isDeepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs !== 'object' || typeof rhs !== 'object' || lhs === null || rhs === null) return false;
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) if (!isDeepEqual(lhs[i], rhs[i])) return false;
    return true;
  }
  const lkeys = Object.getOwnPropertyNames(lhs).sort();
  const rkeys = Object.getOwnPropertyNames(rhs).sort();
  if (lkeys.length !== rkeys.length) return false;
  for (let i = 0; i < lkeys.length; i++) if (lkeys[i] !== rkeys[i]) return false;
  for (const key of lkeys) if (!isDeepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key])) return false;
  return true;
}

/** Flattens nested arrays into one plain array (the wildcard's flattening). */
export function flatten(value: unknown, into: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const item of value) flatten(item, into);
  else into.push(value);
  return into;
}

/**
 * A new prototype-less object, as jsonata's `Object.create(null)` results are. Made by dropping the
 * prototype of an empty literal before any key is added: V8 then shares one map (and its key
 * transitions) across all of them and keeps them in fast mode, where `Object.create(null)` objects
 * start in dictionary mode — about 3× slower to build, and to copy and validate downstream.
 */
export function nullProtoObject(): Record<string, unknown> {
  return Object.setPrototypeOf({}, null) as Record<string, unknown>;
}
