/**
 * Property tests: generated expressions from the compiled subset's grammar, and the shipped
 * mappings over generated inputs, evaluated compiled and by jsonata must agree — same value (flags,
 * key order, undefined-vs-absent) or same error code and position. Seeded, so a failure reproduces;
 * the seed and the case are in the assertion message.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProviderCatalog } from '../catalog.js';
import { providerExpressions } from '../provider-expressions.js';
import { compileJsonata } from './index.js';
import { difference } from './same-value.js';

/** mulberry32: a small seeded PRNG. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'b', 'id', 'name', 'items', 'type', '1'];
const STRINGS = ['', 'a', 'A b', ' x  y ', 'ü🙂é', '12', '-3.5', '1e3', 'a,b,,c', 'employee.updated', '2026-01-31T18:42:00Z', 'true', 'null'];
const NUMBERS = [0, 1, -1, 2, 1.5, -0.25, 0.1 + 0.2, 1e21, 123456789012345680000, 3.14159265358979, 100, -0];

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A JSON value of any shape: missing fields, singletons vs arrays, nulls, unicode, big numbers. */
  value(depth = 3): unknown {
    const roll = this.int(depth > 0 ? 10 : 6);
    if (roll < 2) return this.pick(NUMBERS);
    if (roll < 4) return this.pick(STRINGS);
    if (roll === 4) return this.next() < 0.5;
    if (roll === 5) return null;
    if (roll < 8) return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
    const obj: Record<string, unknown> = {};
    for (const key of KEYS) if (this.next() < 0.45) obj[key] = this.value(depth - 1);
    return obj;
  }

  literal(): string {
    const roll = this.int(4);
    if (roll === 0) return JSON.stringify(this.pick(NUMBERS.filter((n) => n >= 0 && !Object.is(n, -0))));
    if (roll === 1) return JSON.stringify(this.pick(STRINGS));
    return this.pick(['true', 'false', 'null', '[]', '{}']);
  }

  path(): string {
    const steps = Array.from({ length: 1 + this.int(3) }, () => (this.next() < 0.1 ? '*' : this.pick(KEYS.slice(0, 6))));
    let path = steps.join('.');
    if (this.next() < 0.25) path += `[${this.pick(['0', '-1', '1', 'a', 'type = "a"', '$ > 0', 'id'])}]`;
    return this.next() < 0.1 ? `$$.${path}` : path;
  }

  /** An expression of the compiled subset, `depth` levels deep. */
  expr(depth: number): string {
    if (depth <= 0) return this.next() < 0.5 ? this.path() : this.literal();
    const e = () => this.expr(depth - 1);
    switch (this.int(17)) {
      case 15:
        // A user lambda whose body is (or ends in) a tail call, called directly.
        return `($f := function($x) { ${this.pick(['$x ? $string($x) : $keys($x)', '$lookup($x, "a")', '($y := $x.a; $count($y))', '$x.b', '[$x]', '$x = 1 ? $error("one") : $type($x)'])} }; $f(${e()}))`;
      case 16:
        // The same lambdas handed to higher-order functions and to each other.
        return this.pick([
          `($g := function($x) { $lookup($x, "a") }; $map(${e()}, $g))`,
          `($g := function($v, $k) { $k & "=" & $string($v) }; $each(${e()}, $g))`,
          `($apply := function($fn, $v) { $fn($v) }; $apply(function($x) { $x.a }, ${e()}))`,
          `($apply := function($fn) { $fn() }; $apply($string))`,
        ]);
      case 0:
        return `(${e()} ${this.pick(['+', '-', '*', '/', '%'])} ${e()})`;
      case 1:
        return `(${e()} ${this.pick(['=', '!=', '<', '<=', '>', '>=', 'in'])} ${e()})`;
      case 2:
        return `(${e()} ${this.pick(['and', 'or', '&'])} ${e()})`;
      case 3:
        return this.next() < 0.5 ? `(${e()} ? ${e()} : ${e()})` : `(${e()} ? ${e()})`;
      case 4:
        return `[${Array.from({ length: this.int(3) }, e).join(', ')}]`;
      case 5:
        return `{${Array.from({ length: this.int(3) }, () => `${JSON.stringify(this.pick(KEYS))}: ${e()}`).join(', ')}}`;
      case 6:
        return `${this.path()}.{ ${JSON.stringify(this.pick(KEYS))}: ${e()} }`;
      case 7:
        return `($v := ${e()}; ${this.expr(depth - 1).replace(/\ba\b/, '$v')})`;
      case 8:
        return `${this.path()}.(${e()})`;
      case 9:
        return `$${this.pick(['map', 'filter'])}(${e()}, function($x, $i) { ${this.pick(['$x', '$i', '$x.a', '$x = 1', '$string($x)', '[$x, $i]'])} })`;
      case 10:
        return `$${this.pick(['each', 'sift'])}(${e()}, function($v, $k) { ${this.pick(['$k', '$v', '$k = "a"', '{ $k: $v }', '$type($v)'])} })`;
      case 11:
        return this.pick([
          `$reduce(${e()}, function($a, $b) { $a & $b })`,
          `$sort(${e()})`,
          `$sort(${e()}, function($a, $b) { $a.id > $b.id })`,
          `$match($string(${e()}), /[a-z]+/)`,
          `$replace($string(${e()}), /(a|b)/, "<$1>")`,
          `$split($string(${e()}), /,/)`,
          `$contains($string(${e()}), /^a/)`,
          `$lookup(${e()}, ${JSON.stringify(this.pick(KEYS))})`,
          `$single(${e()}, function($v) { $v = 1 })`,
        ]);
      default: {
        const fn = this.pick(UNARY);
        return fn.includes("%") ? `$${fn.replace(/%/g, () => e())}` : `$${fn}(${e()})`;
      }
    }
  }
}

/**
 * Expressions aimed at the compiler's specialisations, each beside the general case it shortcuts:
 * computed object keys over one value and over many, built-in calls with each argument count
 * (the per-count signature checks) and with arguments of the wrong type.
 */
function specialised(gen: Gen): string {
  const e = () => gen.expr(1 + gen.int(2));
  const key = () => gen.pick(['$string(a)', 'type', '$k', 'id', '"a"', '1', 'items', '$lowercase(name)', 'b ? "x" : "y"']);
  return gen.pick([
    () => `{ ${key().replace('$k', '"k"')}: ${e()} }`,
    () => `${gen.path()}.{ ${key().replace('$k', 'name')}: ${e()} }`,
    () => `$each(${e()}, function($v, $k) { { ${key()}: $v } })`,
    () => `{ ${key().replace('$k', 'a')}: ${e()}, ${key().replace('$k', 'b')}: ${e()} }`,
    () => `$merge([$each(${e()}, function($v, $k) { $substring($k, 0, 1) = "a" ? {} : { $k: $type($v) = "string" ? $v : null } })])`,
    () => `$lookup(${e()}, ${e()})`,
    () => `$substring(${e()}, ${e()}, ${e()})`,
    () => `$substring(${e()}, ${e()})`,
    () => `$contains(${e()}, ${gen.pick(['"a"', '/[eE]/', e()])})`,
    () => `$replace(${e()}, ${gen.pick(['/^[^:]*:/', '"a"', e()])}, ${gen.pick(['""', e()])})`,
    () => `$isoDateTime(${gen.pick([e(), '"2026-01-31T18:42:00+0000"', '"2026-13-01T00:00:00Z"', '$string'])})`,
    () => `$join(${e()}, ${e()})`,
    () => `$number(${e()})`,
    () => `$string(${e()}, ${e()})`,
    // Fewer arguments than parameters: the optional ones left over are filled in.
    () => `$${gen.pick(['string', 'round', 'fromMillis', 'toMillis', 'phone', 'money', 'enum', 'substring', 'split', 'sift'])}(${e()})`,
    () => `$${gen.pick(['pad', 'fromMillis', 'enum', 'replace', 'substring', 'match'])}(${e()}, ${e()})`,
    () => `$config(${gen.pick(['"organization_id"', '"a"', e()])})`,
    () => `$string()`,
    // Literal keys that must stay data in the generated object builders (quotes, escapes, line separators, __proto__).
    () => `{ ${gen.pick(['"__proto__"', '"a\\"b"', '"\\u2028"', '"\\\\"', '"1"', '"${x}"', '"`"'])}: ${e()}, "b": ${e()}, ${gen.pick(['"constructor"', '"0"', '"é"'])}: ${e()} }`,
    // Array parameters given arrays (taken as they are) and other values (wrapped).
    () => `$${gen.pick(['merge', 'count', 'sum', 'max', 'distinct', 'reverse', 'sort'])}([${e()}, ${e()}])`,
    () => `$${gen.pick(['merge', 'count', 'sum', 'join', 'zip'])}(${e()})`,
    () => `$join([${e()}, ${gen.pick(['"a"', '1', e()])}], ${gen.pick(['","', e()])})`,
    () => `$${gen.pick(['map', 'filter'])}([${e()}, ${e()}], function($v) { $v })`,
  ])();
}

const UNARY = [
  'string', 'number', 'boolean', 'not', 'exists', 'count', 'sum', 'max', 'min', 'average', 'keys', 'merge', 'append(%, %)', 'distinct', 'reverse',
  'spread', 'type', 'lowercase', 'uppercase', 'trim', 'length', 'substring(%, %, %)', 'substringBefore(%, %)', 'substringAfter(%, %)', 'join(%, %)',
  'split(%, %)', 'contains(%, %)', 'replace(%, %, %)', 'pad(%, %)', 'round(%, %)', 'floor', 'ceil', 'abs', 'isoDate', 'isoDateTime', 'phone(%, %)',
  'email', 'enum(%, %, %)', 'money(%, %)', 'config(%)', 'sha256', 'toMillis', 'fromMillis', 'error(%)', 'string(%, %)',
  'sqrt', 'power(%, %)', 'formatBase(%, %)', 'assert(%, %)', 'single', 'zip(%, %)', 'base64encode', 'base64decode',
  'encodeUrlComponent', 'encodeUrl', 'decodeUrlComponent', 'decodeUrl',
];

async function outcome(source: string, compile: boolean, input: unknown, exactErrors = true) {
  try {
    const value = await compileJsonata(source, { timeoutMs: 1_000, maxDepth: 500, compile, exactErrors }).evaluate(input);
    return { value };
  } catch (error) {
    const e = error as { code?: string; position?: number; message?: string };
    return { error: { code: e.code ?? 'JS', position: e.position } };
  }
}

/**
 * Same value, or the same error (code and position). The compiled evaluation itself must fail
 * exactly when jsonata fails, usually with the same code: when two items of one constructor both
 * fail, jsonata (evaluating the items as concurrent promises) reports whichever rejects first, which
 * is why failures are re-derived on jsonata (`exactErrors`).
 */
async function agree(source: string, input: unknown, label: string): Promise<void> {
  const [a, raw, b] = [await outcome(source, true, input), await outcome(source, true, input, false), await outcome(source, false, input)];
  const why = `${label}: ${source}\n  over ${JSON.stringify(input)}\n  compiled ${JSON.stringify(raw)}\n  jsonata  ${JSON.stringify(b)}`;
  expect('error' in raw, why).toBe('error' in b);
  if ('error' in a || 'error' in b) expect(a, why).toEqual(b);
  else expect(difference(a.value, b.value), why).toBeUndefined();
}

describe('compiled and interpreted evaluation agree', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])('on generated expressions and inputs (seed %i)', async (seed) => {
    const gen = new Gen(random(seed));
    for (let i = 0; i < 150; i++) {
      const source = gen.expr(1 + gen.int(3));
      const compiled = compileJsonata(source);
      expect(compiled.compiled, `${source}: ${compiled.reason}`).toBe(true);
      for (let j = 0; j < 3; j++) await agree(source, gen.value(), `seed ${seed} #${i}`);
    }
  });

  it.each([101, 102, 103, 104])('on expressions aimed at the specialisations (seed %i)', async (seed) => {
    const gen = new Gen(random(seed));
    for (let i = 0; i < 150; i++) {
      const source = specialised(gen);
      const compiled = compileJsonata(source);
      expect(compiled.compiled, `${source}: ${compiled.reason}`).toBe(true);
      for (let j = 0; j < 3; j++) await agree(source, gen.value(), `seed ${seed} #${i}`);
    }
  });

  it('for every shipped mapping expression over its fixtures made thinner, thicker and stranger', async () => {
    const catalog = await ProviderCatalog.load();
    const gen = new Gen(random(42));
    for (const provider of catalog.list()) {
      const dir = join(provider.dir, 'fixtures');
      const payloads: unknown[] = [];
      for (const file of (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json'))) payloads.push((JSON.parse(await readFile(join(dir, file), 'utf8')) as { input: unknown }).input);
      for (const { where, source } of providerExpressions(provider)) {
        for (const payload of payloads.length > 0 ? payloads : [{}]) {
          for (let k = 0; k < 4; k++) {
            const mutated = mutate(gen, payload, 4);
            const input = { payload: mutated, headers: {}, account: { id: 'acc_1', config: {}, remote_key: null }, received_at: '2026-03-01T00:00:00.000Z', body: mutated, input: mutated, ...asObject(mutated) };
            await agree(source, input, where);
          }
        }
      }
    }
  });
});

const asObject = (value: unknown) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {});

/** A variant of `value`: fields dropped, singletons wrapped in arrays, arrays unwrapped, values swapped for others. */
function mutate(gen: Gen, value: unknown, depth: number): unknown {
  const roll = gen.next();
  if (depth <= 0 || roll < 0.08) return gen.value(1);
  if (Array.isArray(value)) {
    if (roll < 0.15 && value.length === 1) return mutate(gen, value[0], depth - 1);
    return value.filter(() => gen.next() > 0.1).map((item) => mutate(gen, item, depth - 1));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (gen.next() < 0.1) continue;
      out[key] = gen.next() < 0.1 ? [mutate(gen, item, depth - 1)] : mutate(gen, item, depth - 1);
    }
    return out;
  }
  return roll < 0.2 ? gen.value(0) : value;
}
