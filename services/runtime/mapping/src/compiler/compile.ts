/**
 * Turns a jsonata AST into nested closures, node for node as jsonata 2.x's `evaluate` walks it:
 * every node's result is settled (empty sequence → nothing, singleton → its item), predicates
 * filter, blocks open a frame, lambdas close over frame and input, and tail calls behave as
 * jsonata's trampoline does (unsettled result, caller's input as context). No code is generated:
 * tenant text only ever becomes data the closures read. A node outside the subset throws
 * {@link Unsupported} and the whole expression falls back to jsonata.
 */
import { checkNode, Unsupported, type Node } from './ast.js';
import { arrayConstructor, objectConstructor } from './constructors.js';
import { OutsideSubset, type JsonataError } from './errors.js';
import { regexMatcher, type RegexEngine } from './functions/regex.js';
import { binary, negate } from './operators.js';
import { filter, name, path, wildcard } from './paths.js';
import { applyFunction, asArgument, FROM_TAIL_CALL, newFrame, run, TailResult, takeTailMark, type BuiltinFunction, type Compiled, type Frame, type LambdaFunction } from './runtime.js';
import { bindSlot, candidates, directBinds, lookupOf, scopeOf, type Scope } from './scope.js';
import { boolean, settle } from './sequence.js';
import { parseSignature } from './signature.js';

/** Every function jsonata 2.x defines, so a reference to one the table lacks is refused, not left undefined. */
const JSONATA_FUNCTIONS = new Set(
  ('sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim pad match contains replace split join ' +
    'formatNumber formatBase formatInteger parseInteger number floor ceil round abs sqrt power random boolean not map zip filter single reduce sift keys ' +
    'lookup append exists spread merge reverse each error assert type sort shuffle distinct base64encode base64decode encodeUrlComponent encodeUrl ' +
    'decodeUrlComponent decodeUrl eval toMillis fromMillis clone now millis').split(' '),
);

/** What the compiler knows of an expression before compiling it. */
export interface CompileContext {
  builtins: ReadonlyMap<string, BuiltinFunction>;
  regexEngine: RegexEngine;
  /** Built-ins resolved at compile time; a binding passed in with one of these names forces a fallback. */
  resolved: Set<string>;
  /** Names whose lambda is being compiled (`$f := function() {...}`): calling one inside is recursion. */
  defining: string[];
}

/** The scope of a whole expression: what it binds outside any block (jsonata binds those in its exec frame). */
export function rootScope(ast: Node): Scope {
  return scopeOf(undefined, directBinds(ast));
}

/** Stamps an error leaving a call with the call's token and position, as jsonata's `applyInner` does. */
function stampCall(error: unknown, token: string, position: number | undefined): never {
  if (typeof error === 'object' && error !== null) {
    const e = error as JsonataError;
    if (takeTailMark(error)) {
      // It escaped a trampolined tail call: only jsonata's `evaluateFunction` sees it, and fills gaps.
      if (!e.position) e.position = position;
    } else e.position = position || e.position;
    if (e.token === undefined) e.token = token;
  }
  throw error;
}

/** Stamps an error leaving a tail call (once: an inner tail call's stamp stands) and marks it. */
function stampTail(error: unknown, token: string, position: number | undefined): never {
  if (typeof error === 'object' && error !== null && !(error as Record<symbol, unknown>)[FROM_TAIL_CALL]) {
    const e = error as JsonataError;
    if (e.token === undefined) e.token = token;
    e.position = position || e.position;
    (error as Record<symbol, unknown>)[FROM_TAIL_CALL] = true;
  }
  throw error;
}

/** Compiles one node (and its predicates), settling its result as jsonata's `evaluate` does. */
export function compileNode(node: Node, ctx: CompileContext, scope: Scope): Compiled {
  checkNode(node);
  let evaluate = base(node, ctx, scope);
  for (const predicate of node.predicate ?? []) {
    if (predicate.type !== 'filter') throw new Unsupported(`predicate of type ${predicate.type}`);
    const apply = filter(predicate.expr, (n) => compileNode(n, ctx, scope));
    const inner = evaluate;
    evaluate = (input, frame) => {
      const value = inner(input, frame);
      // jsonata would filter the thunk object itself here; not worth imitating.
      if (value instanceof TailResult) throw new OutsideSubset('a predicate on a tail call');
      return apply(value, frame);
    };
  }
  if (node.predicate) {
    const inner = evaluate;
    evaluate = (input, frame) => settle(inner(input, frame));
  }
  return evaluate;
}

/** `evaluate` with its result settled: for the nodes whose value can be a sequence (the others never are). */
function settled(evaluate: Compiled): Compiled {
  return (input, frame) => settle(evaluate(input, frame));
}

function base(node: Node, ctx: CompileContext, scope: Scope): Compiled {
  const sub = (n: Node) => compileNode(n, ctx, scope);
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const value = node.value;
      return () => value;
    }
    case 'path':
      return path(node, sub);
    case 'name':
      return name(node);
    case 'wildcard':
      return settled(wildcard());
    case 'variable':
      return variable(node, ctx, scope);
    case 'binary':
      return node.value === '..' ? settled(binary(node, sub(node.lhs), sub(node.rhs))) : binary(node, sub(node.lhs), sub(node.rhs));
    case 'unary':
      if (node.value === '[') return arrayConstructor(node, node.expressions!.map(sub));
      if (node.value === '{') return objectConstructor(node, (node.lhs as Array<[Node, Node]>).map(([k, v]) => [sub(k), sub(v)]));
      if (node.value === '-') return negate(node, sub(node.expression!));
      throw new Unsupported(`unary '${node.value}'`);
    case 'condition': {
      const test = sub(node.condition!);
      const then = sub(node.then!);
      const otherwise = node.else ? sub(node.else) : undefined;
      return (input, frame) => settleUnlessTail(boolOf(test(input, frame)) ? then(input, frame) : otherwise ? otherwise(input, frame) : undefined);
    }
    case 'block': {
      const names = directBinds(node.expressions);
      const inner = names.length > 0 ? scopeOf(scope, names) : scope;
      const parts = node.expressions!.map((n) => compileNode(n, ctx, inner));
      const size = inner.slots.size;
      if (inner === scope) {
        return (input, frame) => {
          let result: unknown;
          for (let i = 0; i < parts.length; i++) result = parts[i]!(input, frame);
          return settleUnlessTail(result);
        };
      }
      return (input, frame) => {
        const own = newFrame(frame, size, frame.caller);
        let result: unknown;
        for (let i = 0; i < parts.length; i++) result = parts[i]!(input, own);
        return settleUnlessTail(result);
      };
    }
    case 'bind': {
      const key = node.lhs.value as string;
      if (key === '' || key === '$') throw new Unsupported(`binding $${key}`);
      const defines = node.rhs?.type === 'lambda';
      if (defines) ctx.defining.push(key);
      const value = sub(node.rhs);
      if (defines) ctx.defining.pop();
      const slot = bindSlot(scope, key);
      return (input, frame) => {
        const v = value(input, frame);
        frame.slots[slot] = v;
        // The bound value is the right side's (settled once); the bind node's own value settles again.
        return settle(v);
      };
    }
    case 'regex': {
      const native = node.value as RegExp;
      const engine = ctx.regexEngine;
      return () => regexMatcher(engine, native, node.position!);
    }
    case 'lambda':
      return node.thunk ? tailCall(node.body!, ctx, scope) : lambda(node, ctx, scope);
    case 'function':
      return call(node, ctx, scope);
    default:
      throw new Unsupported(`${node.type} expressions (position ${node.position ?? '?'})`);
  }
}

/**
 * What every jsonata node does to its value on the way out — settling it — except to a tail call's
 * value, which jsonata's trampoline returns past the enclosing conditions and blocks untouched.
 * Settling is not idempotent (a sequence holding one empty sequence settles twice to nothing), so
 * conditions and blocks settle again what their branch already settled, as jsonata does.
 */
function settleUnlessTail(value: unknown): unknown {
  return value instanceof TailResult ? value : settle(value);
}

/** jsonata's condition test: truthy when `$boolean` says true (undefined is false). */
const boolOf = (value: unknown) => boolean(value) === true;

function variable(node: Node, ctx: CompileContext, scope: Scope): Compiled {
  const key = node.value as string;
  if (key === '') return (input) => (input && (input as { outerWrapper?: boolean }).outerWrapper ? (input as unknown[])[0] : input);
  if (key === '$') return () => run().root;
  const where = candidates(scope, key);
  if (where.length === 0 && JSONATA_FUNCTIONS.has(key) && !ctx.builtins.has(key)) throw new Unsupported(`function $${key}`);
  return lookupOf(scope, key, ctx.builtins, true);
}

function lambda(node: Node, ctx: CompileContext, scope: Scope): Compiled {
  const params = node.arguments!.map((p) => p.value as string);
  const own = scopeOf(scope, [...params, ...directBinds(node.body)]);
  const paramSlots = params.map((p) => own.slots.get(p)!);
  const frameSize = own.slots.size;
  const signature = node.signature === undefined ? undefined : parseSignature((node.signature as { definition: string }).definition);
  const body = compileNode(node.body!, ctx, own);
  return (input, frame): LambdaFunction => ({ _jsonata_lambda: true, input, frame, params, paramSlots, frameSize, signature, body });
}

/** The procedure of a call: a variable, resolved to a built-in now when the expression never rebinds its name. */
function procedure(node: Node, ctx: CompileContext, scope: Scope): { name: string; builtin?: BuiltinFunction; lookup: Compiled } {
  const proc = node.procedure!;
  if (proc.type !== 'variable' || proc.predicate) throw new Unsupported(`calling a ${proc.type} expression (position ${node.position})`);
  const key = proc.value as string;
  const lookup = lookupOf(scope, key, ctx.builtins);
  // Recursion is unbounded work: jsonata (with its depth and time limits) runs such expressions.
  if (ctx.defining.includes(key)) throw new Unsupported(`recursive function $${key}`);
  if (candidates(scope, key).length > 0) return { name: key, lookup };
  const builtin = ctx.builtins.get(key);
  if (!builtin) throw new Unsupported(JSONATA_FUNCTIONS.has(key) ? `function $${key}` : `call of $${key}, which the expression never defines`);
  ctx.resolved.add(key);
  return { name: key, builtin, lookup };
}

function evaluateArgs(args: Compiled[], input: unknown, frame: Frame): unknown[] {
  const values = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) values[i] = args[i]!(input, frame);
  return values;
}

/** A function call node (jsonata's `evaluateFunction`): arguments first, then the call, errors stamped. */
function call(node: Node, ctx: CompileContext, scope: Scope): Compiled {
  const { name: key, builtin, lookup } = procedure(node, ctx, scope);
  const args = node.arguments!.map((a) => compileNode(a, ctx, scope));
  const position = node.position;
  if (builtin) {
    const positional = positionalCall(builtin, args, key, position);
    if (positional) return positional;
    // The argument count is fixed here, so the signature check is specialised for it once.
    const check = builtin.signature ? builtin.signature.forCount(args.length) : (values: unknown[]) => values;
    const impl = builtin.implementation;
    return (input, frame) => {
      const values = evaluateArgs(args, input, frame);
      try {
        return settle(impl(check(values, input), input));
      } catch (error) {
        return stampCall(error, key, position);
      }
    };
  }
  return (input, frame) => {
    const proc = settle(lookup(input, frame));
    const values = evaluateArgs(args, input, frame);
    for (let i = 0; i < values.length; i++) values[i] = asArgument(values[i]);
    if (proc && typeof proc === 'object' && (proc as LambdaFunction)._jsonata_lambda === true) {
      (proc as LambdaFunction).token = key;
      (proc as LambdaFunction).position = position;
    }
    try {
      return settle(applyFunction(proc, values, input));
    } catch (error) {
      return stampCall(error, key, position);
    }
  };
}

/**
 * A built-in called with one or two arguments whose types its signature can check one by one: the
 * arguments stay in locals and the function is called with them directly, without the argument
 * array, the signature call and the spreading wrapper. An argument that fails its test takes the
 * general path (`validate`, which throws jsonata's error or wraps the value).
 */
function positionalCall(builtin: BuiltinFunction, args: Compiled[], key: string, position: number | undefined): Compiled | undefined {
  const fast = builtin.signature?.argTests(args.length);
  const direct = builtin.direct;
  if (!fast || !direct || fast.arity > 3 || args.length === 0 || args.length > 2) return undefined;
  const signature = builtin.signature!;
  const impl = builtin.implementation;
  const slow = (values: unknown[], input: unknown) => {
    try {
      return settle(impl(signature.validate(values, input), input));
    } catch (error) {
      return stampCall(error, key, position);
    }
  };
  const call = (a: unknown, b: unknown) => {
    try {
      // Parameters beyond the arguments are undefined, as validate pads them.
      return settle(fast.arity === 1 ? direct(a) : fast.arity === 2 ? direct(a, b) : direct(a, b, undefined));
    } catch (error) {
      return stampCall(error, key, position);
    }
  };
  const [first, second] = args as [Compiled, Compiled | undefined];
  const [t0, t1] = fast.tests;
  if (second === undefined) {
    return (input, frame) => {
      const a = first(input, frame);
      return t0 === undefined || t0(a) ? call(a, undefined) : slow([a], input);
    };
  }
  return (input, frame) => {
    const a = first(input, frame);
    const b = second(input, frame);
    return (t0 === undefined || t0(a)) && (t1 === undefined || t1(b)) ? call(a, b) : slow([a, b], input);
  };
}

/**
 * A call in tail position of a lambda body. jsonata turns it into a thunk that its trampoline runs
 * after the body returns: the result is not settled (it leaves marked as a {@link TailResult}), the
 * context is the lambda caller's input, and errors are stamped with the procedure's position rather
 * than the call's.
 */
function tailCall(node: Node, ctx: CompileContext, scope: Scope): Compiled {
  const { name: key, builtin, lookup } = procedure(node, ctx, scope);
  const args = node.arguments!.map((a) => compileNode(a, ctx, scope));
  const position = node.procedure!.position;
  return (input, frame) => {
    const proc = builtin ?? settle(lookup(input, frame));
    if (proc === undefined || proc === null) throw new TypeError(`Cannot set properties of ${proc} (setting 'token')`);
    if (typeof proc === 'object' && (proc as LambdaFunction)._jsonata_lambda === true) {
      (proc as LambdaFunction).token = key;
      (proc as LambdaFunction).position = position;
    }
    const values = evaluateArgs(args, input, frame);
    try {
      return new TailResult(applyFunction(proc, values, frame.caller));
    } catch (error) {
      return stampTail(error, key, position);
    }
  };
}
