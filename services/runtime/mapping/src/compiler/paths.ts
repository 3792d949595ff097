/**
 * Path navigation as jsonata 2.x evaluates it (`evaluatePath`, `evaluateStep`, `evaluateFilter`,
 * `evaluateWildcard`): each step maps over the input sequence, results are flattened one level
 * (constructed arrays excepted), a last step yielding a single JSON array returns that array itself,
 * and predicates select by truthiness or by (negative, floored) index.
 */
import { Unsupported, type Node } from './ast.js';
import { lookup } from './functions/collections.js';
import { tick, type Compiled, type Frame } from './runtime.js';
import { append, boolean, createSequence, flatten, sequenceOf, settle, isArrayOfNumbers, isFunction, isNumeric, isSequence, keysOf, type Sequence } from './sequence.js';

/** A name step: the field of the input (of each item when the input is an array). */
export function name(node: Node): Compiled {
  const key = node.value as string;
  return (input) => settle(lookup(input, key));
}

/** A predicate (`[...]`) applied to a value: jsonata's `evaluateFilter`. */
export function filter(predicate: Node, compile: (node: Node) => Compiled): (value: unknown, frame: Frame) => unknown {
  if (predicate.type === 'number') {
    const literal = Math.floor(predicate.value as number);
    return (value) => {
      const input = Array.isArray(value) ? value : sequenceOf(value);
      const index = literal < 0 ? input.length + literal : literal;
      const item = input[index];
      const results = createSequence();
      if (item === undefined) return results;
      if (Array.isArray(item)) return item;
      results.push(item);
      return results;
    };
  }
  const test = compile(predicate);
  return (value, frame) => {
    const input = Array.isArray(value) ? value : sequenceOf(value);
    const results = createSequence();
    for (let index = 0; index < input.length; index++) {
      const item = input[index];
      let res = test(item, frame);
      if (isNumeric(res)) res = [res];
      if (isArrayOfNumbers(res)) {
        for (const n of res as number[]) {
          let ii = Math.floor(n);
          if (ii < 0) ii = input.length + ii;
          if (ii === index) results.push(item);
        }
      } else if (boolean(res)) results.push(item);
    }
    return results;
  };
}

interface Step {
  run: Compiled;
  stages: Array<(value: unknown, frame: Frame) => unknown>;
  consarray: boolean;
}

/** A path node: its steps in turn over the input sequence (jsonata's `evaluatePath`). */
export function path(node: Node, compile: (node: Node) => Compiled): Compiled {
  const steps: Step[] = node.steps!.map((step) => ({
    run: compile(step),
    stages: (step.stages ?? []).map((stage) => {
      if (stage.type !== 'filter') throw new Unsupported(`path stage of type ${stage.type}`);
      return filter(stage.expr, compile);
    }),
    consarray: step.consarray === true,
  }));
  const absolute = node.steps![0]!.type === 'variable';
  const last = steps.length - 1;

  /** The general algorithm from step `from` on, `sequence` being what the step before produced. */
  const runFrom = (from: number, sequence: unknown[], frame: Frame): unknown => {
    let result: unknown[] | undefined = sequence;
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      result = i === 0 && step.consarray ? (step.run(sequence, frame) as unknown[] | undefined) : evaluateStep(step, sequence, frame, i === last);
      if (result === undefined || result.length === 0) break;
      sequence = result;
    }
    return settle(result);
  };
  const general: Compiled = (input, frame) => runFrom(0, Array.isArray(input) && !absolute ? input : sequenceOf(input), frame);

  const [first, ...rest] = node.steps!;
  const simple = !first!.consarray && first!.stages === undefined && rest.every((step) => step.type === 'name' && step.stages === undefined && step.predicate === undefined);
  if (!simple) return general;
  const keys = rest.map((step) => step.value as string);
  const head = steps[0]!.run;
  /*
   * `x.a.b` while every step yields one value: the general algorithm would only ever carry a
   * one-item sequence, so walk the fields directly, and hand over to it (where it is) at the first
   * array.
   */
  return (input, frame) => {
    if (Array.isArray(input) && !absolute) return general(input, frame);
    let value = head(input, frame);
    if (value === undefined) return undefined;
    for (let i = 0; i < keys.length; i++) {
      if (Array.isArray(value)) return runFrom(i + 1, stepOutput(value), frame);
      if (value === null || typeof value !== 'object' || isFunction(value)) return undefined;
      const key = keys[i]!;
      value = settle(Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined);
      if (value === undefined) return undefined;
    }
    // The last step's one value: a JSON array is returned as it is, a sequence's items are copied.
    return Array.isArray(value) && isSequence(value) ? settle(stepOutput(value)) : value;
  };
}

/** What a (non-last) step produces from its one value: the value, or an array's items (constructed arrays stay whole). */
function stepOutput(value: unknown[]): unknown[] {
  const out = createSequence();
  if ((value as { cons?: boolean }).cons) out.push(value);
  else for (let j = 0; j < value.length; j++) out.push(value[j]);
  return out;
}

function evaluateStep(step: Step, input: unknown[], frame: Frame, lastStep: boolean): unknown[] {
  const out = createSequence();
  let kept = 0;
  let only: unknown;
  const stages = step.stages;
  for (let i = 0; i < input.length; i++) {
    tick();
    let res = step.run(input[i], frame);
    for (let s = 0; s < stages.length; s++) res = stages[s]!(res, frame);
    if (res === undefined) continue;
    if (kept++ === 0) only = res;
    if (!Array.isArray(res) || (res as { cons?: boolean }).cons) out.push(res);
    else for (let j = 0; j < res.length; j++) out.push(res[j]);
  }
  if (lastStep && kept === 1 && Array.isArray(only) && !isSequence(only)) return only;
  return out;
}

/** `*`: every value of the input object, arrays flattened (jsonata's `evaluateWildcard`). */
export function wildcard(): Compiled {
  return (value) => {
    let results: unknown = createSequence();
    let input = value;
    if (Array.isArray(input) && (input as Sequence).outerWrapper && input.length > 0) input = input[0];
    if (input !== null && typeof input === 'object' && !isFunction(input)) {
      for (const key of keysOf(input)) {
        const item = (input as Record<string, unknown>)[key];
        if (Array.isArray(item)) results = append(results, flatten(item));
        else (results as unknown[]).push(item);
      }
    }
    return results;
  };
}
