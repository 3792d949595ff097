/**
 * `compileJsonata`: a JSONata expression as synchronous closures when it stays inside the compiled
 * subset, or the jsonata interpreter when it does not — one interface either way, so the hub, the
 * CLI and the benchmarks all run the same path.
 */
import jsonata from 'jsonata';
import { sha256Hex } from '@switchyard/kernel';
import { registerMappingFunctions } from '../mapping-functions.js';
import { Re2RegexEngine } from '../regex-engine.js';
import { Unsupported, type Node } from './ast.js';
import { compileNode, rootScope, type CompileContext } from './compile.js';
import { isJsonataError, OutsideSubset, populateMessage } from './errors.js';
import { builtinFunctions, type LibraryOptions } from './functions/table.js';
import type { RegexEngine } from './functions/regex.js';
import { newFrame, within, type Compiled, type Run } from './runtime.js';
import { isSequence, sequenceOf } from './sequence.js';

/** Compiled lambda calls nested deeper than this rerun on the interpreter (well within the JS stack). */
const MAX_COMPILED_DEPTH = 200;

/** Options of {@link compileJsonata}. */
export interface CompileOptions extends LibraryOptions {
  /** Evaluation budget in ms (jsonata's `timeout`); 0 or absent: none. */
  timeoutMs?: number;
  /** jsonata's evaluation depth limit (`stack`); compiled lambda nesting stops at the smaller of it and 200 and reruns on jsonata. */
  maxDepth?: number;
  /** The regex engine (RE2 unless told otherwise, as the mapping engine uses). */
  regexEngine?: RegexEngine;
  /** Set to false to get the interpreter only (a reference run for comparisons). */
  compile?: boolean;
  /**
   * Re-derive a failed evaluation's error on jsonata (default true), so code, position and message
   * are exactly jsonata's even where its concurrent evaluation of constructor items decides which of
   * two failures it reports. Failures are the rare path (a dead letter); a timeout is not rerun.
   * `false` exposes the compiled error itself (for the differential tests).
   */
  exactErrors?: boolean;
}

/** A compiled (or interpreted) expression. */
export interface CompiledJsonata {
  /** True when it runs as compiled closures; false when it fell back to jsonata. */
  readonly compiled: boolean;
  /** Why it fell back (absent when compiled). */
  readonly reason?: string;
  /**
   * Evaluates over `input` with `bindings` as `$name` variables. Rejects with a jsonata-shaped error
   * (`code`, `position`, `token`, `message`) exactly as `jsonata(expression).evaluate` would.
   */
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
  /**
   * {@link evaluate} without its promise where it can: the value itself when the compiled closures
   * produce it (they are synchronous), a promise when the evaluation runs on jsonata. Throws (or
   * rejects) as `evaluate` rejects. For callers that await anyway: it saves one promise per call.
   */
  evaluateNow(input: unknown, bindings?: Record<string, unknown>): unknown;
}

/** The interpreter, configured as the mapping engine configures it, with the mapping library. */
function interpreter(expression: string, options: CompileOptions): jsonata.Expression {
  const expr = jsonata(expression, {
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    ...(options.maxDepth ? { stack: options.maxDepth } : {}),
    RegexEngine: (options.regexEngine ?? Re2RegexEngine) as unknown as RegExpConstructor,
  } as jsonata.JsonataOptions);
  registerMappingFunctions(expr, options.config ? { config: options.config } : {});
  expr.registerFunction('sha256', (value: string) => (value === undefined ? undefined : sha256Hex(value)), '<s?:s>');
  return expr;
}

/**
 * Compiles `expression`. Throws jsonata's own syntax error (code `S0…`, position) when it does not
 * parse; otherwise returns a {@link CompiledJsonata}, compiled when the whole expression is inside the
 * subset and interpreted (with the reason) when it is not.
 */
export function compileJsonata(expression: string, options: CompileOptions = {}): CompiledJsonata {
  const builtins = builtinFunctions(options);
  let fallback: jsonata.Expression | undefined;
  const interpreted = () => (fallback ??= interpreter(expression, options));
  const ast = interpreted().ast() as Node;
  const interpret = (input: unknown, bindings?: Record<string, unknown>) => interpreted().evaluate(input, bindings);
  if (options.compile === false) return { compiled: false, reason: 'compilation disabled', evaluate: interpret, evaluateNow: interpret };
  let root: Compiled;
  const ctx: CompileContext = { builtins, regexEngine: options.regexEngine ?? (Re2RegexEngine as unknown as RegexEngine), resolved: new Set(), defining: [] };
  const scope = rootScope(ast);
  try {
    root = compileNode(ast, ctx, scope);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    return { compiled: false, reason: error.reason, evaluate: interpret, evaluateNow: interpret };
  }
  const rootSize = scope.slots.size;
  const timeoutMs = options.timeoutMs ?? 0;
  const exactErrors = options.exactErrors !== false;
  const maxDepth = Math.min(options.maxDepth ?? Infinity, MAX_COMPILED_DEPTH);
  const evaluateSync = (input: unknown, bindings: Record<string, unknown> | undefined): unknown => {
    const frame = newFrame(null, rootSize, undefined);
    let context = input;
    if (Array.isArray(input) && !isSequence(input)) {
      context = sequenceOf(input);
      (context as { outerWrapper?: boolean }).outerWrapper = true;
    }
    const state: Run = { root: input, bindings, depth: 0, maxDepth, timeoutMs, deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Infinity, ticks: 0 };
    return within(state, root, context, frame);
  };
  const shadows = (bindings: Record<string, unknown> | undefined) => {
    if (bindings === undefined) return false;
    for (const key in bindings) if (Object.prototype.hasOwnProperty.call(bindings, key) && ctx.resolved.has(key)) return true;
    return false;
  };
  const evaluateNow = (input: unknown, bindings?: Record<string, unknown>): unknown => {
    // A binding named like a built-in the compiler resolved statically changes what the call means.
    if (shadows(bindings)) return interpret(input, bindings);
    try {
      return evaluateSync(input, bindings);
    } catch (error) {
      // A JS stack overflow (a RangeError) is a recursion jsonata would bound its own way.
      if (error instanceof OutsideSubset || error instanceof RangeError) return interpret(input, bindings);
      if (exactErrors && !(isJsonataError(error) && error.code === 'D1012')) return interpret(input, bindings);
      if (isJsonataError(error)) populateMessage(error);
      throw error;
    }
  };
  return {
    compiled: true,
    async evaluate(input, bindings) {
      return evaluateNow(input, bindings);
    },
    evaluateNow,
  };
}
