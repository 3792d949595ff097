/**
 * Whether two JSONata results are the same value in every way a caller could observe: types, key
 * order, keys present with an undefined value versus absent, prototype-less versus plain objects,
 * arrays versus sequences (and their `keepSingleton`/`outerWrapper`/`cons` flags), `-0`. Used by the
 * differential tests and `mappings lint` to hold compiled and interpreted evaluation to identity.
 * Function values only need to be functions on both sides.
 */
import { isFunction } from './sequence.js';

const FLAGS = ['sequence', 'keepSingleton', 'outerWrapper', 'cons', 'tupleStream'] as const;

/** The first difference between `a` and `b` as a path and reason, or undefined when they are the same. */
export function difference(a: unknown, b: unknown, at = '$'): string | undefined {
  if (isFunction(a) || isFunction(b)) return isFunction(a) && isFunction(b) ? undefined : `${at}: function vs ${typeof (isFunction(a) ? b : a)}`;
  if (typeof a !== typeof b) return `${at}: ${typeof a} vs ${typeof b}`;
  if (typeof a === 'number') return Object.is(a, b) ? undefined : `${at}: ${a} vs ${b}`;
  if (typeof a !== 'object' || a === null || b === null) return a === b ? undefined : `${at}: ${String(a)} vs ${String(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    for (const flag of FLAGS) {
      if (Boolean((a as unknown as Record<string, unknown>)[flag]) !== Boolean((bb as unknown as Record<string, unknown>)[flag])) return `${at}: '${flag}' flag differs`;
    }
    if (a.length !== bb.length) return `${at}: length ${a.length} vs ${bb.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], bb[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if ((Object.getPrototypeOf(a) === null) !== (Object.getPrototypeOf(b) === null)) return `${at}: prototype-less vs plain object`;
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${at}: keys [${ka.join(', ')}] vs [${kb.join(', ')}]`;
  for (const key of ka) {
    const d = difference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
    if (d) return d;
  }
  return undefined;
}
