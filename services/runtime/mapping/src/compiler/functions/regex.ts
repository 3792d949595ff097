/**
 * Regular expression literals as jsonata 2.x evaluates them: a matcher function over a string that
 * returns `{match, start, end, groups, next}`, built on the configured regex engine (RE2 in the hub,
 * so matching stays linear in the input).
 */
import { jsonataError } from '../errors.js';
import { applyFunction } from '../runtime.js';

/** One match and the way to the next. */
export interface MatchResult {
  match: string;
  start: number;
  end: number;
  groups: Array<string | undefined>;
  next(): MatchResult | undefined;
}

/** A matcher: a regex literal's value, or any function value returning the same structure. */
export type Matcher = unknown;

/** The `RegExp`-like engine jsonata is configured with (`exec` from `lastIndex`). */
export type RegexEngine = new (native: RegExp) => { lastIndex: number; exec(input: string): RegExpExecArray | null };

/** The matcher function a regex literal evaluates to (jsonata's `evaluateRegex`). */
export function regexMatcher(engine: RegexEngine, native: RegExp, position: number): (str: string, fromIndex?: number) => MatchResult | undefined {
  const re = new engine(native);
  const closure = (str: string, fromIndex?: number): MatchResult | undefined => {
    re.lastIndex = fromIndex || 0;
    const found = re.exec(str);
    if (found === null) return undefined;
    const result: MatchResult = {
      match: found[0],
      start: found.index,
      end: found.index + found[0].length,
      groups: found.slice(1),
      next: () => {
        if (re.lastIndex >= str.length) return undefined;
        const next = closure(str, re.lastIndex);
        if (next && next.match === '') throw jsonataError('D1004', { position, value: native.source });
        return next;
      },
    };
    return result;
  };
  return closure;
}

/** jsonata's `evaluateMatcher`: runs a matcher (or a match's `next`) and checks what it returned. */
export function nextMatch(matcher: unknown, str?: string): MatchResult | undefined {
  // jsonata calls whatever it was given; a missing matcher fails as that call does.
  if (matcher === undefined || matcher === null) throw new TypeError(`Cannot read properties of ${matcher} (reading 'apply')`);
  const result = (typeof matcher === 'function' ? matcher(str) : applyFunction(matcher, [str], undefined)) as MatchResult | undefined;
  if (result && !(typeof result.start === 'number' || (result as { end: unknown }).end === 'number' || Array.isArray(result.groups) || typeof result.next === 'function')) {
    throw jsonataError('T1010');
  }
  return result;
}
