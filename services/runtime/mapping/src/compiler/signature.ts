/**
 * JSONata function signatures (`<s-nn?:s>`), parsed once when an expression is compiled and checked
 * on every call exactly as jsonata 2.x's `signature.js` checks them: the same type symbols, the
 * context argument (`-`), optional and repeated arguments, arrays made of singletons, and the same
 * errors (T0410, T0411, T0412) naming the same argument.
 */
import { jsonataError } from './errors.js';
import { isFunction } from './sequence.js';

interface Param {
  regex: string;
  type: string;
  array?: boolean;
  context?: boolean;
  contextRegex?: RegExp;
  subtype?: string;
}

const ARRAY_TYPE: Record<string, string> = { a: 'arrays', b: 'booleans', f: 'functions', n: 'numbers', o: 'objects', s: 'strings' };

/** A parsed signature: `validate` returns the arguments the function is called with, or throws. */
export interface Signature {
  definition: string;
  validate(args: unknown[], context: unknown): unknown[];
  /**
   * `validate` specialised for calls that pass `count` arguments (a call site's count is fixed in the
   * expression text): when each argument can only pair with its own parameter, a per-parameter type
   * test replaces the regex match, and parameters of any type are not tested at all. Any argument
   * that fails its test goes through `validate`, which throws jsonata's error.
   */
  forCount(count: number): (args: unknown[], context: unknown) => unknown[];
  /**
   * The per-argument tests behind `forCount(count)`'s fast path (undefined: none needed for that
   * argument), and how many arguments the function then receives (the parameters' count: the ones
   * left over are undefined); undefined when `forCount(count)` is `validate` itself.
   */
  argTests(count: number): { tests: Array<((value: unknown) => boolean) | undefined>; arity: number } | undefined;
}

/** `validate`'s acceptance of an actual array for an `a` (or `a<x>`) parameter, unchanged. */
function arrayTest(subtype: string | undefined): (value: unknown) => boolean {
  return (value) => {
    if (typeSymbol(value) !== 'a') return false;
    const items = value as unknown[];
    if (subtype === undefined || items.length === 0) return true;
    const itemType = typeSymbol(items[0]);
    if (itemType !== subtype.charAt(0)) return false;
    for (let i = 1; i < items.length; i++) if (typeSymbol(items[i]) !== itemType) return false;
    return true;
  };
}

/** A type test equivalent to `class.includes(typeSymbol(value))` for one parameter's type class. */
function typeTest(typeClass: string): ((value: unknown) => boolean) | undefined {
  switch (typeClass) {
    case 'asnblfom':
      return undefined; // x (and a, which never takes this path): every value
    case 'asnblom':
      return (value) => typeSymbol(value) !== 'f';
    case 'sm':
      return (value) => value === undefined || typeof value === 'string';
    case 'nm':
      return (value) => value === undefined || typeof value === 'number';
    case 'bm':
      return (value) => value === undefined || typeof value === 'boolean';
    default:
      return (value) => typeClass.includes(typeSymbol(value));
  }
}

/** The one-letter type jsonata gives a value when matching it against a signature. */
export function typeSymbol(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'function':
      return 'f';
    case 'object':
      if (value === null) return 'l';
      if (isFunction(value)) return 'f';
      return Array.isArray(value) ? 'a' : 'o';
    default:
      return 'm';
  }
}

function closing(text: string, start: number, open: string, close: string): number {
  let depth = 1;
  let position = start;
  while (position < text.length) {
    position++;
    const symbol = text.charAt(position);
    if (symbol === close) {
      if (--depth === 0) break;
    } else if (symbol === open) depth++;
  }
  return position;
}

/** What each type symbol matches among the argument symbols (`m`: missing, which any type allows but `f`). */
const TYPE_CLASSES: Record<string, string> = { s: '[sm]', n: '[nm]', b: '[bm]', l: '[lm]', o: '[om]', a: '[asnblfom]', f: 'f', j: '[asnblom]', x: '[asnblfom]' };

function parseParams(signature: string): Param[] {
  const params: Param[] = [];
  let param = {} as Param;
  let previous = param;
  const next = () => {
    params.push(param);
    previous = param;
    param = {} as Param;
  };
  for (let position = 1; position < signature.length; position++) {
    const symbol = signature.charAt(position);
    if (symbol === ':') break;
    const typeClass = TYPE_CLASSES[symbol];
    if (typeClass !== undefined) {
      Object.assign(param, { regex: typeClass, type: symbol }, symbol === 'a' ? { array: true } : {});
      next();
      continue;
    }
    switch (symbol) {
      case '-':
        previous.context = true;
        previous.contextRegex = new RegExp(previous.regex);
        previous.regex += '?';
        break;
      case '?':
      case '+':
        previous.regex += symbol;
        break;
      case '(': {
        const end = closing(signature, position, '(', ')');
        const choice = signature.substring(position + 1, end);
        if (choice.includes('<')) throw jsonataError('S0402', { value: choice });
        Object.assign(param, { regex: `[${choice}m]`, type: `(${choice})` });
        position = end;
        next();
        break;
      }
      case '<': {
        if (previous.type !== 'a' && previous.type !== 'f') throw jsonataError('S0401', { value: previous.type });
        const end = closing(signature, position, '<', '>');
        previous.subtype = signature.substring(position + 1, end);
        position = end;
        break;
      }
    }
  }
  return params;
}

/** Parses a signature string into its validator. */
export function parseSignature(signature: string): Signature {
  const params = parseParams(signature);
  const regex = new RegExp(`^${params.map((p) => `(${p.regex})`).join('')}$`);

  const fail = (args: unknown[], supplied: string): never => {
    let pattern = '^';
    let goodTo = 0;
    for (const param of params) {
      pattern += param.regex;
      const match = supplied.match(pattern);
      if (match === null) throw jsonataError('T0410', { value: args[goodTo], index: goodTo + 1 });
      goodTo = match[0].length;
    }
    throw jsonataError('T0410', { value: args[goodTo], index: goodTo + 1 });
  };

  // The regex match depends only on the argument types, so it is kept per type string.
  const matches = new Map<string, RegExpExecArray | null>();
  // With one argument per parameter, no repetition and no arrays to wrap, the regex can only pair
  // each argument with its own parameter: checking each type against its class is the same test.
  const simple = params.every((p) => !p.regex.includes('+') && p.type !== 'a');
  const classes = params.map((p) => p.regex.replace(/[[\]?]/g, ''));
  const validate = (args: unknown[], context: unknown): unknown[] => {
    if (simple && args.length === params.length) {
      let ok = true;
      for (let i = 0; i < args.length; i++) if (!classes[i]!.includes(typeSymbol(args[i]))) ok = false;
      if (ok) return args;
    }
    let supplied = '';
    for (let i = 0; i < args.length; i++) supplied += typeSymbol(args[i]);
    let valid = matches.get(supplied);
    if (valid === undefined) {
      valid = regex.exec(supplied);
      if (matches.size < 256) matches.set(supplied, valid);
    }
    if (!valid) return fail(args, supplied);
    const out: unknown[] = [];
    let argIndex = 0;
    for (let index = 0; index < params.length; index++) {
      const param = params[index]!;
      let arg = args[argIndex];
      const match = valid[index + 1]!;
      if (match === '') {
        if (param.context && param.contextRegex) {
          if (param.contextRegex.test(typeSymbol(context))) out.push(context);
          else throw jsonataError('T0411', { value: context, index: argIndex + 1 });
        } else {
          out.push(arg);
          argIndex++;
        }
        continue;
      }
      if (match.length === 1 && param.type !== 'a') {
        out.push(arg);
        argIndex++;
        continue;
      }
      for (const single of match) {
        arg = args[argIndex];
        if (param.type === 'a') {
          if (single === 'm') arg = undefined;
          else {
            let arrayOK = true;
            if (param.subtype !== undefined) {
              if (single !== 'a' && match !== param.subtype) arrayOK = false;
              else if (single === 'a' && (arg as unknown[]).length > 0) {
                const itemType = typeSymbol((arg as unknown[])[0]);
                if (itemType !== param.subtype.charAt(0)) arrayOK = false;
                else arrayOK = (arg as unknown[]).every((item) => typeSymbol(item) === itemType);
              }
            }
            if (!arrayOK) throw jsonataError('T0412', { value: arg, index: argIndex + 1, type: ARRAY_TYPE[param.subtype!] });
            if (single !== 'a') arg = [arg];
          }
        }
        out.push(arg);
        argIndex++;
      }
    }
    return out;
  };
  const argTests = (count: number) => {
    if (params.some((p) => p.regex.includes('+')) || count > params.length) return undefined;
    // Fewer arguments than parameters (`$string(x)` of `<x-b?:s>`): when every parameter left over is
    // optional and takes no context, the regex can still only pair each argument with its own
    // parameter (each group takes at most one symbol, greedily), and `validate` fills the rest with
    // undefined; a context parameter left over is `validate`'s to fill.
    const rest = params.slice(count);
    if (!rest.every((p) => p.regex.endsWith('?') && !p.context)) return undefined;
    // An array parameter given an array (of the subtype's items) takes it as it is; anything else is wrapped, which `validate` does.
    return { tests: params.slice(0, count).map((p, i) => (p.type === 'a' ? arrayTest(p.subtype) : typeTest(classes[i]!))), arity: params.length };
  };
  const forCount = (count: number): ((args: unknown[], context: unknown) => unknown[]) => {
    const fast = argTests(count);
    if (!fast) return validate;
    const tests = fast.tests;
    const tested = tests.flatMap((test, i) => (test ? [[i, test] as const] : []));
    const padded = count < params.length;
    return (args, context) => {
      for (let t = 0; t < tested.length; t++) if (!tested[t]![1](args[tested[t]![0]])) return validate(args, context);
      if (!padded) return args;
      const out = args.slice();
      for (let i = count; i < params.length; i++) out.push(undefined);
      return out;
    };
  };
  return { definition: signature, validate, forCount, argTests };
}
