/**
 * What a compiled expression runs with: variable frames, function values (built-ins and lambdas,
 * shaped so jsonata's `isFunction`/`$type`/`$string` treat them as it treats its own), function
 * application with signature checks, and the per-evaluation guardrails (call depth and a deadline
 * checked every few hundred steps) that bound recursion a mapping might write.
 */
import { jsonataError, OutsideSubset, type JsonataError } from './errors.js';
import type { Signature } from './signature.js';

/** A compiled node: input (the context value) and the variable frame in, the node's value out. */
export type Compiled = (input: unknown, frame: Frame) => unknown;

/** A slot no `:=` (or parameter) has filled yet: lookups go on outwards, as jsonata's frames do. */
export const UNBOUND: unique symbol = Symbol('unbound');

/**
 * The variables of one block or lambda invocation. The compiler knows which names each scope can
 * bind and gives them slots, so a lookup is a few pointer hops instead of jsonata's name search.
 */
export class Frame {
  constructor(
    readonly parent: Frame | null,
    readonly slots: unknown[],
    /** The input of the lambda's caller (jsonata hands it to a tail call as its context). */
    readonly caller: unknown,
  ) {}
}

/** A frame with `size` unbound slots. */
export function newFrame(parent: Frame | null, size: number, caller: unknown): Frame {
  const slots = new Array<unknown>(size);
  for (let i = 0; i < size; i++) slots[i] = UNBOUND;
  return new Frame(parent, slots, caller);
}

/** A built-in function: jsonata's `{_jsonata_function, implementation, signature}` shape. */
export interface BuiltinFunction {
  _jsonata_function: true;
  name: string;
  /** The arity jsonata reads from its native implementation (`implementation.length`). */
  arity: number;
  signature?: Signature;
  implementation(args: unknown[], input: unknown): unknown;
  /** The function itself, taking its arguments positionally: `implementation(args)` is `direct(...args)`. */
  direct?: (...args: unknown[]) => unknown;
}

/** A lambda value (`function($x) { ... }`) closed over the frame and input it was evaluated in. */
export interface LambdaFunction {
  _jsonata_lambda: true;
  input: unknown;
  frame: Frame;
  params: string[];
  /** The slot of each parameter in the invocation frame, and that frame's size. */
  paramSlots: number[];
  frameSize: number;
  signature?: Signature;
  body: Compiled;
  /** The name and position of the last call site that invoked it directly (jsonata stamps them on the value). */
  token?: string;
  position?: number;
}

/** One evaluation's limits and root input. Evaluation is synchronous, so one is current at a time. */
export interface Run {
  root: unknown;
  /** The bindings the evaluation was given (`$name` variables outside every scope). */
  bindings: Record<string, unknown> | undefined;
  depth: number;
  maxDepth: number;
  deadline: number;
  timeoutMs: number;
  ticks: number;
}

let current: Run = { root: undefined, bindings: undefined, depth: 0, maxDepth: Infinity, deadline: Infinity, timeoutMs: 0, ticks: 0 };

/** The evaluation in progress. */
export function run(): Run {
  return current;
}

/** Runs `root` over `input` with `next` current (nesting restores the outer one). */
export function within(next: Run, root: Compiled, input: unknown, frame: Frame): unknown {
  const outer = current;
  current = next;
  try {
    return root(input, frame);
  } finally {
    current = outer;
  }
}

/** Counts a unit of work; every 256th checks the deadline (D1012), as jsonata checks its timeout. */
export function tick(): void {
  if ((++current.ticks & 255) === 0 && Date.now() > current.deadline) throw jsonataError('D1012', { value: current.timeoutMs });
}

/** The arity jsonata's HOFs see (`getFunctionArity`). */
export function arityOf(fn: unknown): number {
  if ((fn as LambdaFunction)._jsonata_lambda === true) return (fn as LambdaFunction).params.length;
  if ((fn as BuiltinFunction)._jsonata_function === true) return (fn as BuiltinFunction).arity;
  return typeof fn === 'function' ? fn.length : 0;
}

/**
 * The value of a tail call, on its way out of the lambda that made it. jsonata runs tail calls in its
 * trampoline after the body has returned, so their value skips the sequence settling every node on
 * the way out (a condition, a block) would otherwise apply; the mark lets those nodes tell.
 */
export class TailResult {
  constructor(readonly value: unknown) {}
}

/** Invokes a lambda: binds its parameters in a frame over its closure and runs its body. */
export function invokeLambda(proc: LambdaFunction, args: unknown[], callerInput: unknown): unknown {
  const state = current;
  if (++state.depth > state.maxDepth) {
    // Deep recursion is jsonata's to judge (it trampolines tail calls, counts its own depth and
    // owns D1011): hand the evaluation back rather than grow the JS stack.
    state.depth--;
    throw new OutsideSubset(`lambda calls nested deeper than ${state.maxDepth}`);
  }
  try {
    tick();
    const values = proc.signature ? proc.signature.validate(args, callerInput) : args;
    const frame = newFrame(proc.frame, proc.frameSize, callerInput);
    const slots = proc.paramSlots;
    for (let i = 0; i < slots.length; i++) frame.slots[slots[i]!] = values[i];
    const result = proc.body(proc.input, frame);
    return result instanceof TailResult ? result.value : result;
  } finally {
    state.depth--;
  }
}

/** jsonata's `applyInner`: any function value with already evaluated arguments; T1006 for a non-function. */
export function applyFunction(proc: unknown, args: unknown[], input: unknown): unknown {
  if (proc && (proc as LambdaFunction)._jsonata_lambda === true) return invokeLambda(proc as LambdaFunction, args, input);
  if (proc && (proc as BuiltinFunction)._jsonata_function === true) {
    const builtin = proc as BuiltinFunction;
    return builtin.implementation(builtin.signature ? builtin.signature.validate(args, input) : args, input);
  }
  if (typeof proc === 'function') return proc.apply(input, args);
  throw jsonataError('T1006');
}

/**
 * Calls a function argument of a higher-order built-in (`$map`, `$filter`, `$each`, `$sift`,
 * `$reduce`, `$sort`) with as many of (value, index/key, whole) as its arity takes, as jsonata's
 * wrapped closures do: no context input, and the lambda's last direct call site marks errors.
 */
export function callArgument(fn: unknown, a1: unknown, a2?: unknown, a3?: unknown): unknown {
  const arity = arityOf(fn);
  const args = arity >= 3 ? [a1, a2, a3] : arity >= 2 ? [a1, a2] : [a1];
  return applyMarked(fn, args, null);
}

/**
 * Marks an error thrown by a tail call. jsonata runs tail calls in its trampoline, after the lambda
 * that made them has returned, so the lambda's caller does not re-stamp their errors with its own
 * position; the mark tells it so (and is cleared there).
 */
export const FROM_TAIL_CALL = Symbol('fromTailCall');

/** Whether `error` came out of a tail call; clears the mark (it concerns one call level only). */
export function takeTailMark(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !(error as Record<symbol, unknown>)[FROM_TAIL_CALL]) return false;
  delete (error as Record<symbol, unknown>)[FROM_TAIL_CALL];
  return true;
}

/** {@link applyFunction} with jsonata's error stamping from the function value (`token`, `position`). */
export function applyMarked(fn: unknown, args: unknown[], input: unknown): unknown {
  try {
    return applyFunction(fn, args, input);
  } catch (error) {
    const proc = fn as LambdaFunction;
    if (!takeTailMark(error) && proc && typeof error === 'object' && error !== null) {
      const e = error as JsonataError;
      if (e.token === undefined && proc.token !== undefined) e.token = proc.token;
      e.position = proc.position || e.position;
    }
    throw error;
  }
}

/**
 * A function value passed as an argument to a lambda, as jsonata hands it over: wrapped, so that
 * calling it later applies the original with no context input (jsonata's argument closures call
 * `apply(fn, args, null)`) — a context-taking built-in called with too few arguments reads `null`.
 */
export function asArgument(fn: unknown): unknown {
  if (!fn || typeof fn !== 'object' || !((fn as LambdaFunction)._jsonata_lambda === true || (fn as BuiltinFunction)._jsonata_function === true)) return fn;
  const wrapped: BuiltinFunction = {
    _jsonata_function: true,
    name: (fn as BuiltinFunction).name ?? 'lambda',
    arity: arityOf(fn),
    implementation: (args) => applyMarked(fn, args, null),
  };
  return wrapped;
}
