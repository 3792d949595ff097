import { SwitchyardError } from '@switchyard/contracts';
import { compileJsonata, type CompiledJsonata } from './compiler/index.js';
import { isoDateTime } from './mapping-functions.js';
import { Re2RegexEngine } from './regex-engine.js';

/** Limits applied to every evaluation. */
export interface MappingLimits {
  /** Wall-clock budget per evaluation, in ms. */
  timeoutMs: number;
  /** Maximum evaluation depth (runaway recursion stops here). */
  maxDepth: number;
  /** Compiled expressions kept in memory (least recently used are dropped). */
  cacheSize: number;
  /**
   * Run expressions inside the compiled subset as compiled closures (default). `false` keeps every
   * expression on the jsonata interpreter: the reference the differential tests compare against.
   */
  compiled: boolean;
}

const DEFAULT_LIMITS: MappingLimits = { timeoutMs: 1_000, maxDepth: 500, cacheSize: 1_000, compiled: true };

interface JsonataError {
  code?: string;
  position?: number;
  message?: string;
}

/**
 * Turns a date given as epoch seconds or milliseconds or a date string (including `+0000` offsets)
 * into ISO 8601 UTC; undefined when it is not a date. The same function mappings call as `$isoDateTime`.
 */
export const toIsoDateTime = isoDateTime;

/**
 * Anything that evaluates a mapping expression: the in-process {@link MappingEngine} for shipped
 * mappings, or a tenant's view of the expression sandbox for the expressions tenants write.
 */
export interface ExpressionEvaluator {
  /** Evaluates `source` over `input`; rejects with a coded `SwitchyardError` naming `name`. */
  evaluate(name: string, source: string, input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Compiles and evaluates JSONata mapping expressions. Each expression is compiled once and cached by
 * its text, so an edited override compiles anew while unchanged ones are reused. An expression
 * inside the compiled subset runs as synchronous closures with JSONata's exact semantics
 * ({@link compileJsonata}); any other runs on the jsonata interpreter. Every evaluation is bounded
 * in time and depth, and regular expressions run on RE2 (linear time); errors name the expression
 * and the position. The time budget is checked between evaluation steps: expressions tenants write
 * run in the {@link ExpressionSandbox}, which enforces it for real.
 */
export class MappingEngine implements ExpressionEvaluator {
  readonly #limits: MappingLimits;
  readonly #cache = new Map<string, CompiledJsonata>();
  #hits = 0;

  constructor(limits: Partial<MappingLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Compiles (or reuses) an expression; throws `SWY_ERR_MAPPING_FAILED` on a syntax error. */
  compile(name: string, source: string): CompiledJsonata {
    // Keyed by the text itself: V8 caches a string's hash in the string, so a lookup costs almost
    // nothing, where hashing the text with SHA-256 on every call cost ~3.5 µs per evaluation.
    const key = source;
    const cached = this.#cache.get(key);
    if (cached) {
      // Refresh its place in the LRU order only now and then: delete+set on every hit costs too.
      if (++this.#hits % 64 === 0) {
        this.#cache.delete(key);
        this.#cache.set(key, cached);
      }
      return cached;
    }
    let expression: CompiledJsonata;
    try {
      const { timeoutMs, maxDepth, compiled } = this.#limits;
      expression = compileJsonata(source, { timeoutMs, maxDepth, regexEngine: Re2RegexEngine, compile: compiled });
    } catch (error) {
      throw wrap(name, error);
    }
    this.#cache.set(key, expression);
    if (this.#cache.size > this.#limits.cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
    return expression;
  }

  /** Evaluates `source` (compiled through the cache) over `input`. */
  async evaluate(name: string, source: string, input: unknown, bindings?: Record<string, unknown>): Promise<unknown> {
    return this.evaluateNow(name, source, input, bindings);
  }

  /**
   * {@link evaluate} without a promise when the expression ran compiled: the value itself (or a
   * thrown coded error); a promise when it ran on jsonata. For loops over many records, where a
   * promise per record is most of what is left to pay.
   */
  evaluateNow(name: string, source: string, input: unknown, bindings?: Record<string, unknown>): unknown {
    const expression = this.compile(name, source);
    try {
      const value = expression.evaluateNow(input, bindings);
      return value instanceof Promise ? value.catch((error: unknown) => Promise.reject(wrap(name, error))) : value;
    } catch (error) {
      throw wrap(name, error);
    }
  }
}

function wrap(name: string, error: unknown): SwitchyardError {
  const e = (error ?? {}) as JsonataError;
  const where = typeof e.position === 'number' ? ` at position ${e.position}` : '';
  const code = e.code === 'D1011' || e.code === 'D1012' ? 'SWY_ERR_MAPPING_TIMEOUT' : 'SWY_ERR_MAPPING_FAILED';
  return new SwitchyardError(code, `${name}${where}: ${e.code ? `${e.code} ` : ''}${e.message ?? String(error)}`, { cause: error });
}
