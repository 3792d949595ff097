import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UNIFIED_MODEL_PARSERS, UNIFIED_MODELS } from './index.js';

/** mulberry32: seeded, so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every enum value the model's fields allow (so generated records hit valid enums often). */
function enumValues(schema: unknown, into: unknown[] = []): unknown[] {
  const def = (schema as { _zod?: { def?: Record<string, any> } })._zod?.def;
  if (!def) return into;
  if (def.type === 'enum') into.push(...Object.values(def.entries));
  for (const inner of [def.innerType, def.element, def.in, def.out, ...(def.options ?? []), ...Object.values(def.shape ?? {})]) if (inner) enumValues(inner, into);
  return into;
}

/** Values of every kind the fields meet: valid and invalid strings, dates, amounts, nested shapes. */
const VALUES: unknown[] = [
  'Ada', '', 'x', null, undefined, 0, 12.5, 1e21, Number.NaN, true, false, '2026-01-31', '2026-02-30', '2026-01-31T18:42:00.000Z',
  '2026-01-31T18:42:00+01:00', '2026-01-31 18:42', 'USD', 'usd', 'US', '1234.50', '1e3', {}, [], ['a', 'b'], [1], { amount: '10.00', currency: 'EUR' },
  { amount: 10 }, [{ email_address: 'a@b.c', email_address_type: 'work' }], [{ phone_number: '+1', extra: 1 }], { street_1: 'Main', country: 'FR', x: 1 },
  { favourite: 'teal' },
];

/** Compares values, key order and `undefined`-valued keys included. */
const spelled = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (v === undefined ? '«undefined»' : v));

describe('precompiled unified model parsers', () => {
  it.each(Object.keys(UNIFIED_MODELS))('%s: the same result as zod for 3 000 generated records', (key) => {
    const schema = UNIFIED_MODELS[key]!;
    const parse = UNIFIED_MODEL_PARSERS[key]!;
    const shape = Object.keys((schema as unknown as { _zod: { def: { shape: object } } })._zod.def.shape);
    const pool = [...VALUES, ...enumValues(schema)];
    const seed = key.length * 7919;
    const next = random(seed);
    for (let i = 0; i < 3_000; i++) {
      const record: Record<string, unknown> = {};
      const keys = [...shape, 'unknown_field', 'constructor'].sort(() => next() - 0.5);
      for (const field of keys) {
        if (field === 'id' || field === 'remote_id' ? next() < 0.95 : next() < 0.3) record[field] = field.endsWith('id') && next() < 0.8 ? `id-${i}` : pool[Math.floor(next() * pool.length)];
      }
      const input = next() < 0.02 ? pool[Math.floor(next() * pool.length)] : record;
      const ours = parse(input);
      const zods = schema.safeParse(input);
      const why = `seed ${seed} case ${i}: ${spelled(input)}`;
      expect(ours.success, why).toBe(zods.success);
      if (ours.success && zods.success) {
        expect(spelled(ours.data), why).toBe(spelled(zods.data));
        expect(isDeepStrictEqual(ours.data, zods.data), why).toBe(true);
      } else if (!ours.success && !zods.success) expect(ours.error.issues, why).toEqual(zods.error.issues);
    }
  });
});
