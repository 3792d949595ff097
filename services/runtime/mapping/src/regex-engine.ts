import { RE2JS } from 're2js';
import { isLinearPattern } from './linear-pattern.js';

/** What JSONata throws for a regular expression RE2 cannot run (it names the code in its message). */
interface RegexSyntaxError {
  code: string;
  message: string;
  value: string;
}

/** Compiled patterns by flags and source: JSONata constructs an engine each time a regex is evaluated. */
const compiled = new Map<string, RE2JS>();
const COMPILED_MAX = 1_000;

function compile(native: RegExp): RE2JS {
  const key = `${native.ignoreCase ? 'i' : ''}${native.multiline ? 'm' : ''}/${native.source}`;
  let pattern = compiled.get(key);
  if (pattern) return pattern;
  let flags = 0;
  if (native.ignoreCase) flags |= RE2JS.CASE_INSENSITIVE;
  if (native.multiline) flags |= RE2JS.MULTILINE;
  try {
    pattern = RE2JS.compile(RE2JS.translateRegExp(native.source), flags);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw { code: 'RE2', message: `regular expression /${native.source}/ is outside RE2 syntax (no backreferences or lookaround): ${reason}`, value: native.source } satisfies RegexSyntaxError;
  }
  if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, pattern);
  return pattern;
}

/**
 * JSONata's regex engine on RE2 alone: matching is linear in the input, so no pattern a tenant
 * writes (`/^(a+)+$/` on `aaaa…!`) can backtrack for seconds on the event loop. JSONata constructs it
 * with the native `RegExp` its parser built (flags `i`, `m`, always `g`), then sets `lastIndex` and
 * calls `exec` — the slice of the `RegExp` contract implemented here. Patterns RE2 refuses
 * (backreferences, lookahead) fail with a JSONata-style error when the expression first uses them.
 */
export class StrictRe2RegexEngine {
  /** Where the next `exec` starts (JSONata sets it before every call, as with a global `RegExp`). */
  lastIndex = 0;
  readonly #pattern: RE2JS | undefined;

  constructor(native: RegExp, re2 = true) {
    if (re2) this.#pattern = compile(native);
  }

  /** The next match at or after `lastIndex`, shaped as `RegExp.prototype.exec` shapes it. */
  exec(input: string): RegExpExecArray | null {
    const pattern = this.#pattern!;
    if (this.lastIndex > input.length) {
      this.lastIndex = 0;
      return null;
    }
    const matcher = pattern.matcher(input);
    if (!matcher.find(this.lastIndex)) {
      this.lastIndex = 0;
      return null;
    }
    const groups: Array<string | undefined> = [];
    for (let i = 0; i <= matcher.groupCount(); i++) groups.push(matcher.group(i) ?? undefined);
    const match = Object.assign(groups, { index: matcher.start(), input }) as unknown as RegExpExecArray;
    this.lastIndex = matcher.end();
    return match;
  }
}

/** Per regex literal: V8's own global `RegExp` for it when it is linear, false when RE2 must run it. */
const linearPatterns = new WeakMap<RegExp, RegExp | false>();

function linearRegExp(native: RegExp): RegExp | false {
  let linear = linearPatterns.get(native);
  if (linear === undefined) linearPatterns.set(native, (linear = isLinearPattern(native) ? new RegExp(native.source, 'g') : false));
  return linear;
}

/**
 * The engine the hub runs mappings with: {@link StrictRe2RegexEngine}'s results and linear time,
 * with the patterns V8 provably runs the same way in linear time ({@link isLinearPattern}: most
 * mapping patterns, `/^[A-Z]{2}$/`, `/^[^:]*:/`) handed to V8, several times faster than RE2JS.
 * One V8 `RegExp` serves every engine of a literal: `exec` sets and reads its `lastIndex` around
 * each synchronous match.
 */
export class Re2RegexEngine extends StrictRe2RegexEngine {
  readonly #linear: RegExp | false;

  constructor(native: RegExp) {
    const linear = linearRegExp(native);
    super(native, linear === false);
    this.#linear = linear;
  }

  override exec(input: string): RegExpExecArray | null {
    if (this.#linear === false) return super.exec(input);
    this.#linear.lastIndex = this.lastIndex;
    const found = this.#linear.exec(input);
    this.lastIndex = this.#linear.lastIndex;
    return found;
  }
}
