/**
 * JSONata's operators (jsonata 2.x `evaluateBinary` and friends): arithmetic with T2001/T2002,
 * deep `=`, ordered comparison of strings or numbers only (T2009/T2010), `&` through `$string`,
 * `in`, short-circuit `and`/`or`, the range operator, and unary minus. Errors carry the operator's
 * position and token as jsonata's do.
 */
import type { Node } from './ast.js';
import { Unsupported } from './ast.js';
import { jsonataError, type JsonataError } from './errors.js';
import { string } from './functions/strings.js';
import { tick, type Compiled } from './runtime.js';
import { boolean, isDeepEqual, isNumeric } from './sequence.js';

type Op = (lhs: unknown, rhs: unknown) => unknown;

function numeric(op: (a: number, b: number) => number): Op {
  return (lhs, rhs) => {
    if (lhs !== undefined && !isNumeric(lhs)) throw jsonataError('T2001', { value: lhs });
    if (rhs !== undefined && !isNumeric(rhs)) throw jsonataError('T2002', { value: rhs });
    if (lhs === undefined || rhs === undefined) return undefined;
    return op(lhs as number, rhs as number);
  };
}

function comparison(op: (a: any, b: any) => boolean): Op {
  return (lhs, rhs) => {
    const lt = typeof lhs;
    const rt = typeof rhs;
    const lok = lt === 'undefined' || lt === 'string' || lt === 'number';
    const rok = rt === 'undefined' || rt === 'string' || rt === 'number';
    if (!lok || !rok) throw jsonataError('T2010', { value: !(lt === 'string' || lt === 'number') ? lhs : rhs });
    if (lt === 'undefined' || rt === 'undefined') return undefined;
    if (lt !== rt) throw jsonataError('T2009', { value: lhs, value2: rhs });
    return op(lhs, rhs);
  };
}

function range(lhs: unknown, rhs: unknown): unknown {
  if (lhs !== undefined && !Number.isInteger(lhs)) throw jsonataError('T2003', { value: lhs });
  if (rhs !== undefined && !Number.isInteger(rhs)) throw jsonataError('T2004', { value: rhs });
  if (lhs === undefined || rhs === undefined || (lhs as number) > (rhs as number)) return undefined;
  const size = (rhs as number) - (lhs as number) + 1;
  if (size > 1e7) throw jsonataError('D2014', { value: size });
  tick();
  const result = new Array(size) as unknown[] & { sequence?: boolean };
  for (let item = lhs as number, index = 0; item <= (rhs as number); item++, index++) result[index] = item;
  result.sequence = true;
  return result;
}

const OPS: Record<string, Op> = {
  '+': numeric((a, b) => a + b),
  '-': numeric((a, b) => a - b),
  '*': numeric((a, b) => a * b),
  '/': numeric((a, b) => a / b),
  '%': numeric((a, b) => a % b),
  '=': (l, r) => (l === undefined || r === undefined ? false : isDeepEqual(l, r)),
  '!=': (l, r) => (l === undefined || r === undefined ? false : !isDeepEqual(l, r)),
  '<': comparison((a, b) => a < b),
  '<=': comparison((a, b) => a <= b),
  '>': comparison((a, b) => a > b),
  '>=': comparison((a, b) => a >= b),
  '&': (l, r) => (l === undefined ? '' : string(l)!).concat(r === undefined ? '' : string(r)!),
  '..': range,
  in: (l, r) => {
    if (l === undefined || r === undefined) return false;
    return Array.isArray(r) ? r.some((item) => item === l) : r === l;
  },
};

function stamp(error: unknown, node: Node): never {
  if (typeof error === 'object' && error !== null) {
    (error as JsonataError).position = node.position;
    (error as JsonataError).token = node.value;
  }
  throw error;
}

const bool = (value: unknown) => boolean(value) ?? false;

/** A binary operator node. */
export function binary(node: Node, lhs: Compiled, rhs: Compiled): Compiled {
  const name = node.value as string;
  if (name === 'and') {
    return (input, frame) => {
      const l = lhs(input, frame);
      try {
        return bool(l) && bool(rhs(input, frame));
      } catch (error) {
        return stamp(error, node);
      }
    };
  }
  if (name === 'or') {
    return (input, frame) => {
      const l = lhs(input, frame);
      try {
        return bool(l) || bool(rhs(input, frame));
      } catch (error) {
        return stamp(error, node);
      }
    };
  }
  const op = OPS[name];
  if (!op) throw new Unsupported(`operator '${name}'`);
  return (input, frame) => {
    const l = lhs(input, frame);
    const r = rhs(input, frame);
    try {
      return op(l, r);
    } catch (error) {
      return stamp(error, node);
    }
  };
}

/** Unary minus (jsonata folds it into number literals already). */
export function negate(node: Node, operand: Compiled): Compiled {
  return (input, frame) => {
    const value = operand(input, frame);
    if (value === undefined) return undefined;
    if (isNumeric(value)) return -value;
    throw jsonataError('D1002', { position: node.position, token: node.value, value });
  };
}
