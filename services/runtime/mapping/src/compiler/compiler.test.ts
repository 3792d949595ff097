import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProviderCatalog, type LoadedProvider } from '../catalog.js';
import { MappingEngine } from '../mapping-engine.js';
import { normalize, type RawDelivery } from '../normalize.js';
import { providerExpressions } from '../provider-expressions.js';
import { compileJsonata, type CompiledJsonata } from './index.js';
import { difference } from './same-value.js';

const OPTIONS = { timeoutMs: 1_000, maxDepth: 500 };

/** The outcome of one evaluation: a value, or the error's observable fields. */
async function outcome(expression: CompiledJsonata, input: unknown, bindings?: Record<string, unknown>) {
  try {
    return { value: await expression.evaluate(input, bindings) };
  } catch (error) {
    const e = error as { code?: string; position?: number; token?: string; message?: string };
    return { error: { code: e.code, position: e.position, token: e.token, message: e.message } };
  }
}

/** Evaluates `source` compiled and interpreted over `input`; fails on any observable difference. */
export async function expectSame(source: string, input: unknown, bindings?: Record<string, unknown>): Promise<void> {
  const compiled = compileJsonata(source, { ...OPTIONS, exactErrors: false });
  const reference = compileJsonata(source, { ...OPTIONS, compile: false });
  const [a, b] = [await outcome(compiled, input, bindings), await outcome(reference, input, bindings)];
  if ('error' in b || 'error' in a) {
    expect(a, `${source} over ${JSON.stringify(input)}`).toEqual(b);
    return;
  }
  expect(difference(a.value, b.value), `${source} over ${JSON.stringify(input)}`).toBeUndefined();
  expect(JSON.stringify(a.value)).toBe(JSON.stringify(b.value));
}

interface Fixture {
  input: unknown;
  /** `poll`: the fixture is a polled payload, for the provider's poll mapping (normalize.test.ts). */
  mapping?: 'webhook' | 'poll';
  headers?: Record<string, string>;
  config?: Record<string, unknown>;
}

const catalog = await ProviderCatalog.load();
const fixtures: Array<[string, LoadedProvider, Fixture]> = [];
for (const provider of catalog.list()) {
  const dir = join(provider.dir, 'fixtures');
  for (const file of (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.json'))) {
    fixtures.push([`${provider.definition.slug}/${file}`, provider, JSON.parse(await readFile(join(dir, file), 'utf8')) as Fixture]);
  }
}
/** The mapping a fixture is written for. */
const mappingOf = (provider: LoadedProvider, fixture: Fixture) => (fixture.mapping === 'poll' ? provider.pollMapping : (provider.webhookMapping ?? provider.pollMapping))!;
const mappingInput = (fixture: Fixture, payload = fixture.input) => ({
  payload,
  headers: fixture.headers ?? {},
  account: { id: 'acc_1', config: fixture.config ?? {}, remote_key: null },
  received_at: '2026-03-01T00:00:00.000Z',
});

describe('compiled mappings', () => {
  it('compiles every shipped webhook mapping and every expression of every provider definition', () => {
    const fallbacks = catalog.list().flatMap((p) =>
      providerExpressions(p).map(({ where, source }) => [where, compileJsonata(source, OPTIONS)] as const).filter(([, c]) => !c.compiled).map(([where, c]) => `${where}: ${c.reason}`),
    );
    expect(fallbacks).toEqual([]);
  });

  it.each(fixtures)('%s: the webhook mapping gives the identical value or error compiled and interpreted', async (_name, provider, fixture) => {
    await expectSame(mappingOf(provider, fixture).source, mappingInput(fixture), mappingOf(provider, fixture).bindings);
  });

  it.each(fixtures)('%s: normalize() publishes byte-identical envelopes compiled and interpreted', async (_name, provider, fixture) => {
    const delivery: RawDelivery = {
      provider: provider.definition.slug,
      account: { id: 'acc_1', environment_id: 'env_1', remote_key: null, config: fixture.config ?? {} },
      eventKey: 'key-1',
      receivedAt: '2026-03-01T00:00:00.000Z',
      origin: 'webhook',
      payload: fixture.input,
      headers: fixture.headers ?? {},
    };
    const run = (engine: MappingEngine) =>
      normalize(engine, mappingOf(provider, fixture), delivery).then(
        (events) => JSON.stringify(events),
        (error: { code: string; message: string }) => `${error.code} ${error.message}`,
      );
    expect(await run(new MappingEngine())).toBe(await run(new MappingEngine({ compiled: false })));
  });

  it.each([
    ['a.b.c', { a: { b: { c: [1, 2] } } }],
    ['a.b.c', { a: [{ b: { c: 1 } }, { b: { c: [2, 3] } }] }],
    ['a.b', { a: { b: [[1], [2]] } }],
    ['a.b', [{ a: { b: 1 } }, { a: { b: 2 } }]],
    ['$x.b', { x: 1 }],
    ['($x := a; $x.b.c)', { a: [{ b: { c: 1 } }, { b: [{ c: 2 }, { c: 3 }] }] }],
    ['($s := [1, 2]; { "k": $s }.k)', {}],
    ['$lookup(a, "b").c', { a: { b: [{ c: 1 }] } }],
    ['[a, b].c', { a: { c: 1 }, b: { c: 2 } }],
    ['a.b', { a: { b: null } }],
    ['a.b', { a: 'text' }],
    ['$.a', [{ a: 1 }]],
    ['($f := function($g) { $g() }; a.$f($string))', { a: { b: 1 } }],
    ['($f := function($g, $v) { $g($v) }; $f(function($x) { $x & "!" }, "a"))', {}],
    ['($f := function($g) { $map([1, 2], $g) }; $f(function($v, $i) { $v + $i }))', {}],
    // A tail call's value skips the settling of the conditions and blocks around it; others settle twice.
    ['($g := function($x) { $lookup($x, "a") }; $map(type, $g))', { type: ['true', [], 0] }],
    ['($f := function($x) { $x ? ($x = 1 ? $lookup($x, "a") : ($y := $map([[]], function($v) { $v }); $y)) : 0 }; [$f(1), $f(2)])', {}],
    ['($s := $map([[]], function($v) { $lookup($v, "a") }); $s)', {}],
  ])('walks %s like jsonata over %j', async (source, input) => {
    await expectSame(source, input);
  });

  it('falls back to jsonata, with the reason, outside the subset', () => {
    expect(compileJsonata('$eval("1 + 1")')).toMatchObject({ compiled: false, reason: 'function $eval' });
    expect(compileJsonata('($f := function($n) { $n > 0 ? $f($n - 1) : 0 }; $f(3))')).toMatchObject({ compiled: false, reason: 'recursive function $f' });
    expect(compileJsonata('Account.Order#$i.Product').reason).toMatch(/focus\/index/);
    expect(compileJsonata('a.b.%.c').reason).toMatch(/tuple/);
    expect(compileJsonata('payload ~> $string').reason).toMatch(/apply/);
  });

  it('gives the same value through a fallback as jsonata does', async () => {
    await expectSame('($f := function($n) { $n > 1 ? $n * $f($n - 1) : 1 }; $f(5))', {});
    await expectSame('$sort(items, function($a, $b) { $a > $b })^(-$)', { items: [3, 1, 2] });
  });

  it('throws jsonata\'s own syntax error for text that does not parse', () => {
    expect(() => compileJsonata('payload.(')).toThrow(expect.objectContaining({ code: 'S0203' }));
  });

  it('reruns on jsonata a binding that shadows a built-in it resolved, and a date picture it does not format', async () => {
    await expectSame('$string(1)', {}, { string: 'shadowed' });
    await expectSame('$fromMillis(0, "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01]")', {});
    await expectSame('$fromMillis(0, "[FNn], [D1o] [MNn]")', {});
  });

  it.each([
    ['T2001', '"a" + 1'],
    ['T2002', '1 - "a"'],
    ['T2009', '1 < "a"'],
    ['T2010', '{} > 1'],
    ['T0411', '$substring(1)'],
    ['T0412', '$sum(["a"])'],
    ['T0412', '$merge(1)'],
    ['T0410', '$lowercase(1)'],
    ['D3001', '$string(1/0)'],
    ['D1009', '[{"a": 1}, {"b": 2}].{"k": a, "k": b}'],
    ['T1003', '{ 1: 2 }'],
    ['D3137', 'payload.x ? 1 : $error("no x in " & $string(payload))'],
    ['D3030', '$number("12px")'],
    ['D1002', '-"a"'],
    ['T1006', '($f := 1; $f(2))'],
    ['D3050', '$reduce([1, 2], function($a) { $a })'],
    ['D3070', '$sort([{}, 1])'],
    ['D3110', '$toMillis("yesterday")'],
    ['D3010', '$replace("abc", "", "x")'],
    ['D3020', '$split("a,b", ",", -1)'],
    ['D3040', '$match("a", /a/, -1)'],
    ['T2003', '[1.5..3]'],
    ['D2014', '[1..20000000]'],
    ['D1004', '$match("aaa", /a*?/)'],
    ['D3137', '($g := function($v) { $error("in lambda " & $v) }; $map([1, 2], $g))'],
    ['D3137', '($h := function($v) { $v ? $error("tail") : 0 }; $h(1) + 1)'],
    ['D3060', '$sqrt(-1)'],
    ['D3061', '$power(10, 400)'],
    ['D3100', '$formatBase(5, 40)'],
    ['D3138', '$single([1, 1])'],
    ['D3139', '$single([], function($v) { $v })'],
    ['D3141', '$assert(payload.y = 2, "y is not 2")'],
    ['D3140', '$decodeUrl("%E0%A4%A")'],
  ])('fails as jsonata does with %s: %s', async (code, source) => {
    const compiled = compileJsonata(source, { ...OPTIONS, exactErrors: false });
    expect(compiled.compiled).toBe(true);
    // The compiled evaluation's own error, before any re-derivation on jsonata.
    await expect(compiled.evaluate({ payload: { y: 1 } })).rejects.toMatchObject({ code });
    const reference = compileJsonata(source, { ...OPTIONS, compile: false });
    const [own, theirs] = [await outcome(compiled, { payload: { y: 1 } }), await outcome(reference, { payload: { y: 1 } })];
    expect(own).toEqual(theirs);
    await expectSame(source, { payload: { y: 1 } });
  });
});
