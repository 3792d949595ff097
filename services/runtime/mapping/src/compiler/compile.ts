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
import type { JsonataError } from './errors.js';
import { regexMatcher, type RegexEngine } from './functions/regex.js';
import { binary, negate } from './operators.js';
import { filter, name, path, wildcard } from './paths.js';
import { applyFunction, CALLER, FROM_TAIL_CALL, takeTailMark, type BuiltinFunction, type Compiled, type Frame, type LambdaFunction } from './runtime.js';
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
  /** Names the expression binds somewhere (`:=` or a lambda parameter): never resolved statically. */
  bound: ReadonlySet<string>;
  /** Built-ins resolved at compile time; a binding passed in with one of these names forces a fallback. */
  resolved: Set<string>;
}

/** Names bound anywhere in the expression. */
export function boundNames(ast: Node): Set<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as Node;
    if (n.type === 'bind' && n.lhs?.type === 'variable') names.add(n.lhs.value as string);
    if (n.type === 'lambda') for (const param of n.arguments ?? []) names.add(param.value as string);
    for (const [key, value] of Object.entries(n)) if (key !== 'value' || n.type !== 'regex') walk(value);
  };
  walk(ast);
  return names;
}

/** Whether a block must open its own frame: some `:=` binds directly in it (not in a nested block or lambda). */
function bindsDirectly(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(bindsDirectly);
  const n = node as Node;
  if (n.type === 'bind') return true;
  if (n.type === 'lambda' || n.type === 'block') return false;
  return Object.entries(n).some(([key, value]) => (key === 'value' && n.type === 'regex' ? false : bindsDirectly(value)));
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
export function compileNode(node: Node, ctx: CompileContext): Compiled {
  checkNode(node);
  let run = base(node, ctx);
  for (const predicate of node.predicate ?? []) {
    if (predicate.type !== 'filter') throw new Unsupported(`predicate of type ${predicate.type}`);
    const apply = filter(predicate.expr, (n) => compileNode(n, ctx));
    const inner = run;
    run = (input, frame) => apply(inner(input, frame), frame);
  }
  if (!SETTLED.has(node.type) || node.predicate) {
    const inner = run;
    run = (input, frame) => settle(inner(input, frame));
  }
  return run;
}

// Node types whose value is never a sequence, so settling them is a no-op.
const SETTLED = new Set(['string', 'number', 'value', 'lambda', 'regex', 'condition', 'block', 'bind']);

function base(node: Node, ctx: CompileContext): Compiled {
  const sub = (n: Node) => compileNode(n, ctx);
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
      return wildcard();
    case 'variable':
      return variable(node, ctx);
    case 'binary':
      return binary(node, sub(node.lhs), sub(node.rhs));
    case 'unary':
      if (node.value === '[') return arrayConstructor(node, node.expressions!.map(sub));
      if (node.value === '{') return objectConstructor(node, (node.lhs as Array<[Node, Node]>).map(([k, v]) => [sub(k), sub(v)]));
      if (node.value === '-') return negate(node, sub(node.expression!));
      throw new Unsupported(`unary '${node.value}'`);
    case 'condition': {
      const test = sub(node.condition!);
      const then = sub(node.then!);
      const otherwise = node.else ? sub(node.else) : undefined;
      return (input, frame) => (boolOf(test(input, frame)) ? then(input, frame) : otherwise ? otherwise(input, frame) : undefined);
    }
    case 'block': {
      const parts = node.expressions!.map(sub);
      const own = bindsDirectly(node.expressions);
      return (input, frame) => {
        const scope = own ? (Object.create(frame) as Frame) : frame;
        let result: unknown;
        for (let i = 0; i < parts.length; i++) result = parts[i]!(input, scope);
        return result;
      };
    }
    case 'bind': {
      const key = node.lhs.value as string;
      if (key === '' || key === '$') throw new Unsupported(`binding $${key}`);
      const value = sub(node.rhs);
      return (input, frame) => {
        const v = value(input, frame);
        frame[key] = v;
        return v;
      };
    }
    case 'regex': {
      const native = node.value as RegExp;
      const engine = ctx.regexEngine;
      return () => regexMatcher(engine, native, node.position!);
    }
    case 'lambda':
      return node.thunk ? tailCall(node.body!, ctx) : lambda(node, ctx);
    case 'function':
      return call(node, ctx);
    default:
      throw new Unsupported(`${node.type} expressions (position ${node.position ?? '?'})`);
  }
}

/** jsonata's condition test: truthy when `$boolean` says true (undefined is false). */
const boolOf = (value: unknown) => boolean(value) === true;

function variable(node: Node, ctx: CompileContext): Compiled {
  const key = node.value as string;
  if (key === '') return (input) => (input && (input as { outerWrapper?: boolean }).outerWrapper ? (input as unknown[])[0] : input);
  if (!ctx.bound.has(key) && JSONATA_FUNCTIONS.has(key) && !ctx.builtins.has(key)) throw new Unsupported(`function $${key}`);
  if (ctx.builtins.has(key)) ctx.resolved.add(key);
  return (_input, frame) => frame[key];
}

function lambda(node: Node, ctx: CompileContext): Compiled {
  const params = node.arguments!.map((p) => p.value as string);
  const signature = node.signature === undefined ? undefined : parseSignature((node.signature as { definition: string }).definition);
  const body = compileNode(node.body!, ctx);
  return (input, frame): LambdaFunction => ({ _jsonata_lambda: true, input, frame, params, signature, body });
}

/** The procedure of a call: a variable, resolved to a built-in now when the expression never rebinds its name. */
function procedure(node: Node, ctx: CompileContext): { name: string; builtin?: BuiltinFunction } {
  const proc = node.procedure!;
  if (proc.type !== 'variable') throw new Unsupported(`calling a ${proc.type} expression (position ${node.position})`);
  const key = proc.value as string;
  if (ctx.bound.has(key)) return { name: key };
  const builtin = ctx.builtins.get(key);
  if (!builtin) throw new Unsupported(JSONATA_FUNCTIONS.has(key) ? `function $${key}` : `call of $${key}, which the expression never defines`);
  ctx.resolved.add(key);
  return { name: key, builtin };
}

/** A function call node (jsonata's `evaluateFunction`): arguments first, then the call, errors stamped. */
function call(node: Node, ctx: CompileContext): Compiled {
  if (node.type === 'partial') throw new Unsupported('partial application');
  const { name: key, builtin } = procedure(node, ctx);
  const args = node.arguments!.map((a) => compileNode(a, ctx));
  const position = node.position;
  if (builtin) {
    const signature = builtin.signature;
    const impl = builtin.implementation;
    return (input, frame) => {
      const values = args.map((a) => a(input, frame));
      try {
        return impl(signature ? signature.validate(values, input) : values, input);
      } catch (error) {
        return stampCall(error, key, position);
      }
    };
  }
  return (input, frame) => {
    const proc = frame[key];
    const values = args.map((a) => a(input, frame));
    if (proc && typeof proc === 'object' && (proc as LambdaFunction)._jsonata_lambda === true) {
      (proc as LambdaFunction).token = key;
      (proc as LambdaFunction).position = position;
    }
    try {
      return applyFunction(proc, values, input);
    } catch (error) {
      return stampCall(error, key, position);
    }
  };
}

/**
 * A call in tail position of a lambda body. jsonata turns it into a thunk that its trampoline runs
 * after the body returns: the result is not settled, the context is the lambda caller's input, and
 * errors are stamped with the procedure's position rather than the call's.
 */
function tailCall(node: Node, ctx: CompileContext): Compiled {
  const { name: key, builtin } = procedure(node, ctx);
  const args = node.arguments!.map((a) => compileNode(a, ctx));
  const position = node.procedure!.position;
  return (input, frame) => {
    const proc = builtin ?? settle(frame[key]);
    if (proc === undefined || proc === null) throw new TypeError(`Cannot set properties of ${proc} (setting 'token')`);
    if (typeof proc === 'object' && (proc as LambdaFunction)._jsonata_lambda === true) {
      (proc as LambdaFunction).token = key;
      (proc as LambdaFunction).position = position;
    }
    const values = args.map((a) => a(input, frame));
    try {
      return applyFunction(proc, values, frame[CALLER]);
    } catch (error) {
      return stampTail(error, key, position);
    }
  };
}
