/**
 * Builders for objects whose keys are all literals (`{"type": …, "record_id": …}`), the most common
 * node of a mapping. A loop storing `result[keys[i]]` is one store site for every key of every
 * object, which V8 can only treat as a slow generic store; a builder with one store per key, each
 * with its key as a constant, is several times faster. The builder's source is generated, and the
 * only text in it that comes from the expression is each key, which passes through
 * `JSON.stringify` (a JSON string is a JavaScript string literal): tenant text stays data.
 */
import type { Compiled, Frame } from './runtime.js';
import { nullProtoObject } from './sequence.js';

type Factory = (values: readonly Compiled[], make: () => Record<string, unknown>) => (value: unknown, frame: Frame) => Record<string, unknown>;

/** One factory per key list: objects of the same keys share its code (and its inline caches). */
const factories = new Map<string, Factory>();
const FACTORIES_MAX = 2_000;

function factoryFor(keys: readonly string[]): Factory {
  const id = JSON.stringify(keys);
  let factory = factories.get(id);
  if (factory) return factory;
  const stores = keys.map((key, i) => `v = values[${i}](value, frame); if (v !== undefined) r[${JSON.stringify(key)}] = v;`).join('\n');
  try {
    factory = new Function('values', 'make', `"use strict"; return function build(value, frame) { const r = make(); let v;\n${stores}\nreturn r; };`) as Factory;
  } catch {
    // A process run with --disallow-code-generation-from-strings: the loop, same result, slower.
    factory = (values, make) => (value, frame) => {
      const r = make();
      for (let i = 0; i < keys.length; i++) {
        const v = values[i]!(value, frame);
        if (v !== undefined) r[keys[i]!] = v;
      }
      return r;
    };
  }
  if (factories.size < FACTORIES_MAX) factories.set(id, factory);
  return factory;
}

/**
 * `(value, frame) => object` evaluating `values[i]` for `keys[i]` in order and keeping the defined
 * ones, on a prototype-less object: the loop it replaces, with the same result.
 */
export function literalObjectBuilder(keys: readonly string[], values: readonly Compiled[]): (value: unknown, frame: Frame) => Record<string, unknown> {
  return factoryFor(keys)(values, nullProtoObject);
}
