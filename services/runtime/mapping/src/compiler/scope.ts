/**
 * Compile-time scopes: which names each block and lambda can bind, and so where a variable
 * reference may find its value at run time. jsonata's frames are dynamic (a `:=` binds in the frame
 * it runs in, a lookup searches outwards), but the frames themselves follow the program text: a
 * block that binds opens one, a lambda invocation opens one. So each reference compiles to the list
 * of slots it may be in, innermost first, then the evaluation's bindings and the built-ins — the
 * same search, without names.
 */
import type { Node } from './ast.js';
import { run, UNBOUND, type BuiltinFunction, type Compiled, type Frame } from './runtime.js';
import { settle } from './sequence.js';

/** A scope that opens a frame: a binding block, a lambda, or the whole expression. */
export interface Scope {
  parent: Scope | undefined;
  slots: Map<string, number>;
}

/** A scope for `names` (in order; a repeated name keeps its first slot). */
export function scopeOf(parent: Scope | undefined, names: Iterable<string>): Scope {
  const slots = new Map<string, number>();
  for (const name of names) if (!slots.has(name)) slots.set(name, slots.size);
  return { parent, slots };
}

/** Names a `:=` binds directly in `node` (not in a nested block or lambda, which open their own frames). */
export function directBinds(node: unknown, into: string[] = []): string[] {
  if (!node || typeof node !== 'object') return into;
  if (Array.isArray(node)) {
    for (const item of node) directBinds(item, into);
    return into;
  }
  const n = node as Node;
  if (n.type === 'lambda' || n.type === 'block') return into;
  if (n.type === 'bind' && n.lhs?.type === 'variable') into.push(n.lhs.value as string);
  for (const [key, value] of Object.entries(n)) if (!(key === 'value' && n.type === 'regex')) directBinds(value, into);
  return into;
}

/** Where a name may live: (frames to climb, slot) pairs, innermost first. */
export function candidates(scope: Scope | undefined, name: string): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (let hops = 0, s = scope; s; s = s.parent, hops++) {
    const slot = s.slots.get(name);
    if (slot !== undefined) found.push([hops, slot]);
  }
  return found;
}

/** A name outside every scope: the evaluation's bindings, then the built-ins (jsonata's exec and static frames). */
export function globalLookup(name: string, builtins: ReadonlyMap<string, BuiltinFunction>): () => unknown {
  const builtin = builtins.get(name);
  return () => {
    const bindings = run().bindings;
    if (bindings !== undefined && Object.prototype.hasOwnProperty.call(bindings, name)) return bindings[name];
    return builtin;
  };
}

/**
 * A variable reference compiled to its slot search. `settled` folds the settling a variable node
 * applies to its value into the same closure (one call per variable read instead of two).
 */
export function lookupOf(scope: Scope | undefined, name: string, builtins: ReadonlyMap<string, BuiltinFunction>, settled = false): Compiled {
  const global = globalLookup(name, builtins);
  const where = candidates(scope, name);
  if (where.length === 0) return settled ? () => settle(global()) : global;
  if (where.length === 1 && where[0]![0] === 0) {
    const slot = where[0]![1];
    if (settled) {
      return (_input, frame) => {
        const value = frame.slots[slot];
        return settle(value !== UNBOUND ? value : global());
      };
    }
    return (_input, frame) => {
      const value = frame.slots[slot];
      return value !== UNBOUND ? value : global();
    };
  }
  if (settled) {
    const unsettled = lookupOf(scope, name, builtins);
    return (input, frame) => settle(unsettled(input, frame));
  }
  if (where.length === 1) {
    // One scope outwards binds it (a function defined at the top, called inside a lambda): climb and read.
    const [hops, slot] = where[0]!;
    return (_input, frame) => {
      let at: Frame = frame;
      for (let h = 0; h < hops; h++) at = at.parent!;
      const value = at.slots[slot];
      return value !== UNBOUND ? value : global();
    };
  }
  const hopsOf = where.map(([hops]) => hops);
  const slotOf = where.map(([, slot]) => slot);
  return (_input, frame) => {
    let at: Frame = frame;
    let climbed = 0;
    for (let c = 0; c < hopsOf.length; c++) {
      const hops = hopsOf[c]!;
      while (climbed < hops) {
        at = at.parent!;
        climbed++;
      }
      const value = at.slots[slotOf[c]!];
      if (value !== UNBOUND) return value;
    }
    return global();
  };
}

/** The slot a `:=` in `scope` writes (it is always the innermost scope's: `directBinds` put it there). */
export function bindSlot(scope: Scope, name: string): number {
  return scope.slots.get(name)!;
}
