/**
 * Array and object constructors as jsonata 2.x builds them: `[...]` appends (flattening) every item
 * but nested constructors, `{...}` groups the input by each key expression (D1009 for one key made
 * by two expressions, T1003 for a non-string key) and builds a prototype-less object, dropping
 * undefined values.
 */
import type { Node } from './ast.js';
import { jsonataError } from './errors.js';
import type { Compiled } from './runtime.js';
import { append, createSequence } from './sequence.js';

/** `[a, b, ...]`. */
export function arrayConstructor(node: Node, items: Compiled[]): Compiled {
  const nested = node.expressions!.map((item) => item.value === '[');
  const cons = node.consarray === true;
  return (input, frame) => {
    let result: unknown[] = [];
    for (let i = 0; i < items.length; i++) {
      const value = items[i]!(input, frame);
      if (value === undefined) continue;
      if (nested[i]) result.push(value);
      else result = append(result, value) as unknown[];
    }
    if (cons) Object.defineProperty(result, 'cons', { enumerable: false, configurable: false, value: true });
    return result;
  };
}

/** `{key: value, ...}` over the input (jsonata's `evaluateGroupExpression`, without tuple streams). */
export function objectConstructor(node: Node, pairs: Array<[Compiled, Compiled]>): Compiled {
  const position = node.position;
  return (value, frame) => {
    const input: unknown[] = Array.isArray(value) ? value : createSequence(value);
    if (input.length === 0) input.push(undefined);
    const groups = Object.create(null) as Record<string, { data: unknown; exprIndex: number }>;
    for (const item of input) {
      for (let p = 0; p < pairs.length; p++) {
        const key = pairs[p]![0](item, frame);
        if (typeof key !== 'string' && key !== undefined) throw jsonataError('T1003', { position, value: key });
        if (key === undefined) continue;
        if (key === '_jsonata_lambda' || key === '_jsonata_function') throw jsonataError('D1013', { position, value: key });
        const entry = groups[key];
        if (entry !== undefined) {
          if (entry.exprIndex !== p) throw jsonataError('D1009', { position, value: key });
          entry.data = append(entry.data, item);
        } else groups[key] = { data: item, exprIndex: p };
      }
    }
    const result = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(groups)) {
      const entry = groups[key]!;
      const v = pairs[entry.exprIndex]![1](entry.data, frame);
      if (v !== undefined) result[key] = v;
    }
    return result;
  };
}
