/**
 * Array and object constructors as jsonata 2.x builds them: `[...]` appends (flattening) every item
 * but nested constructors, `{...}` groups the input by each key expression (D1009 for one key made
 * by two expressions, T1003 for a non-string key) and builds a prototype-less object, dropping
 * undefined values.
 */
import type { Node } from './ast.js';
import { jsonataError } from './errors.js';
import { literalObjectBuilder } from './object-shape.js';
import type { Compiled } from './runtime.js';
import { append, nullProtoObject, sequenceOf } from './sequence.js';

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

/**
 * `{key: value, ...}` over the input (jsonata's `evaluateGroupExpression`, without tuple streams).
 * When every key is a distinct string literal and the input is a single value, grouping can only
 * put that value under each key once, so the values are evaluated straight in jsonata's key order.
 */
export function objectConstructor(node: Node, pairs: Array<[Compiled, Compiled]>): Compiled {
  const position = node.position;
  const literalKeys = (node.lhs as Array<[Node, Node]>).map(([key]) => (key.type === 'string' ? (key.value as string) : undefined));
  const allLiteral = literalKeys.every((k) => k !== undefined && k !== '_jsonata_lambda' && k !== '_jsonata_function') && new Set(literalKeys).size === literalKeys.length;
  // The order jsonata's `Object.keys(groups)` visits them in (integer-like keys first).
  const order = allLiteral ? Object.keys(Object.fromEntries(literalKeys.map((k, i) => [k, i]))).map((k) => literalKeys.indexOf(k)) : [];
  const orderedKeys = order.map((i) => literalKeys[i]!);
  const orderedValues = order.map((i) => pairs[i]![1]);
  const generic = groupBy(position, pairs);
  if (!allLiteral) return pairs.length === 1 ? onePair(position, pairs[0]!, generic) : generic;
  const build = literalObjectBuilder(orderedKeys, orderedValues);
  return (value, frame) => (Array.isArray(value) ? generic(value, frame) : build(value, frame));
}

/**
 * `{key: value}` with a computed key over a single value (`$each`'s `{ $k: $v }`): grouping one item
 * by one key expression makes at most one group, holding that item, so the key and then the value
 * are evaluated once, with jsonata's checks in jsonata's order.
 */
function onePair(position: number | undefined, [keyOf, valueOf]: [Compiled, Compiled], generic: Compiled): Compiled {
  return (value, frame) => {
    if (Array.isArray(value)) return generic(value, frame);
    const key = keyOf(value, frame);
    if (typeof key !== 'string' && key !== undefined) throw jsonataError('T1003', { position, value: key });
    const result = nullProtoObject();
    if (key === undefined) return result;
    if (key === '_jsonata_lambda' || key === '_jsonata_function') throw jsonataError('D1013', { position, value: key });
    const v = valueOf(value, frame);
    if (v !== undefined) result[key] = v;
    return result;
  };
}

function groupBy(position: number | undefined, pairs: Array<[Compiled, Compiled]>): Compiled {
  return (value, frame) => {
    const input: unknown[] = Array.isArray(value) ? value : sequenceOf(value);
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
    const result = nullProtoObject();
    for (const key of Object.keys(groups)) {
      const entry = groups[key]!;
      const v = pairs[entry.exprIndex]![1](entry.data, frame);
      if (v !== undefined) result[key] = v;
    }
    return result;
  };
}
