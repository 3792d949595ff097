import { RE2JS } from 're2js';

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
 * JSONata's regex engine, on RE2 semantics: matching is linear in the input, so no pattern a tenant
 * writes (`/^(a+)+$/` on `aaaa…!`) can backtrack for seconds on the event loop. JSONata constructs it
 * with the native `RegExp` its parser built (flags `i`, `m`, always `g`), then sets `lastIndex` and
 * calls `exec` — the slice of the `RegExp` contract implemented here. Patterns RE2 refuses
 * (backreferences, lookahead) fail with a JSONata-style error when the expression first uses them.
 */
export class Re2RegexEngine {
  /** Where the next `exec` starts (JSONata sets it before every call, as with a global `RegExp`). */
  lastIndex = 0;
  readonly #pattern: RE2JS;

  constructor(native: RegExp) {
    this.#pattern = compile(native);
  }

  /** The next match at or after `lastIndex`, shaped as `RegExp.prototype.exec` shapes it. */
  exec(input: string): RegExpExecArray | null {
    if (this.lastIndex > input.length) {
      this.lastIndex = 0;
      return null;
    }
    const matcher = this.#pattern.matcher(input);
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
