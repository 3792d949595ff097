import { describe, expect, it } from 'vitest';
import { UNIFIED_MODEL_CHECKS, UNIFIED_MODEL_PARSERS, UNIFIED_MODELS } from './index.js';

/** mulberry32: seeded, so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every enum value the model's fields allow, so generated records often hold valid enums. */
function enumValues(schema: unknown, into: unknown[] = []): unknown[] {
  const def = (schema as { _zod?: { def?: Record<string, any> } })._zod?.def;
  if (!def) return into;
  if (def.type === 'enum') into.push(...Object.values(def.entries));
  for (const inner of [def.innerType, def.element, def.in, def.out, def.valueType, ...(def.options ?? []), ...Object.values(def.shape ?? {})]) if (inner) enumValues(inner, into);
  return into;
}

const symbolKeyed = { [Symbol('s')]: 1, a: 1 };
const classInstance = new (class Custom {
  a = 1;
})();
/** Values of every kind the fields meet: valid and invalid strings, dates, amounts, records, nested shapes. */
const VALUES: unknown[] = [
  'Ada', '', 'x', null, undefined, 0, 12.5, 1e21, Number.NaN, true, false, '2026-01-31', '2026-02-30', '2026-01-31T18:42:00.000Z',
  '2026-01-31T18:42:00+01:00', '2026-01-31 18:42', 'USD', 'usd', 'US', '1234.50', '1e3', {}, [], ['a', 'b'], [1], { amount: '10.00', currency: 'EUR' },
  { amount: 10 }, [{ email_address: 'a@b.c', email_address_type: 'work' }], [{ phone_number: '+1', extra: 1 }], { street_1: 'Main', country: 'FR', x: 1 },
  { favourite: 'teal' }, Object.create(null), symbolKeyed, classInstance, new Date(0), new Map(),
];

/** A value as nested `[key, value]` lists: equal only with the same keys in the same order, undefined values included. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Map)) {
    return [Object.getPrototypeOf(value) === null ? 'null-proto' : 'object', ...Object.keys(value).map((k) => [k, shapeOf((value as Record<string, unknown>)[k])])];
  }
  return value === undefined ? '(undefined)' : value;
}

describe('precompiled unified model checks', () => {
  it.each(Object.keys(UNIFIED_MODELS))('%s: vouch only for records zod accepts, and for most of those', (key) => {
    const schema = UNIFIED_MODELS[key]!;
    const check = UNIFIED_MODEL_CHECKS[key]!;
    const fieldSchemas = (schema as unknown as { _zod: { def: { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> } } })._zod.def.shape;
    const shape = Object.keys(fieldSchemas);
    const pool = [...VALUES, ...enumValues(schema)];
    // Per field, the pool values its own schema accepts: records made mostly of them are mostly valid.
    const validFor = new Map(shape.map((field) => [field, [...pool, 'v-1'].filter((v) => fieldSchemas[field]!.safeParse(v).success)]));
    const seed = key.length * 7919;
    const next = random(seed);
    let accepted = 0;
    let vouched = 0;
    let builtCount = 0;
    for (let i = 0; i < 4_000; i++) {
      const record: Record<string, unknown> = next() < 0.05 ? (Object.create(null) as Record<string, unknown>) : {};
      for (const field of [...shape, 'unknown_field', 'constructor', 'toString'].sort(() => next() - 0.5)) {
        // Mostly well-formed, so that both verdicts are common.
        const valid = validFor.get(field) ?? [];
        const present = field === 'id' || field === 'remote_id' ? next() < 0.97 : next() < 0.35;
        if (present) record[field] = next() < 0.93 && valid.length > 0 ? valid[Math.floor(next() * valid.length)] : pool[Math.floor(next() * pool.length)];
      }
      const input = next() < 0.02 ? pool[Math.floor(next() * pool.length)] : record;
      const zod = schema.safeParse(input);
      const ours = check(input);
      if (ours) expect(zod.success, `seed ${seed} case ${i}: check vouched for a record zod refuses: ${JSON.stringify(input)}`).toBe(true);
      const built = UNIFIED_MODEL_PARSERS[key]!(input);
      if (built !== undefined) {
        expect(zod.success, `seed ${seed} case ${i}: parser built a record zod refuses: ${JSON.stringify(input)}`).toBe(true);
        expect(shapeOf(built), `seed ${seed} case ${i}: parser and zod disagree on ${JSON.stringify(input)}`).toEqual(shapeOf(zod.data));
        builtCount++;
      }
      if (zod.success) accepted++;
      if (ours) vouched++;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(vouched / accepted).toBeGreaterThan(0.5);
    expect(builtCount / accepted).toBeGreaterThan(0.5);
  });

  it('builds what zod gives for a mapped record: model key order, unknown keys dropped, nested values as zod copies them', () => {
    const record = { custom_fields: { location: 'Remote' }, first_name: 'Ben', unknown_field: 1, remote_id: '102', id: 'rec_x', display_name: 'Ben Adams', mobile_phone: undefined };
    const built = UNIFIED_MODEL_PARSERS['hris/employees']!(record);
    expect(JSON.stringify(built)).toBe(JSON.stringify(UNIFIED_MODELS['hris/employees']!.parse(record)));
    expect(Object.keys(built!)).toEqual(Object.keys(UNIFIED_MODELS['hris/employees']!.parse(record) as object));
    expect(built).not.toHaveProperty('unknown_field');
    // A custom-fields record with an own __proto__ key is zod's to copy (its copy leaves that key out).
    const tricky = { ...record, custom_fields: JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') };
    expect(JSON.stringify(UNIFIED_MODEL_PARSERS['hris/employees']!(tricky))).toBe(JSON.stringify(UNIFIED_MODELS['hris/employees']!.parse(tricky)));
    expect(UNIFIED_MODEL_PARSERS['hris/employees']!({ ...record, remote_id: undefined })).toBeUndefined();
  });

  it('vouches for a mapped BambooHR directory record and refuses one without remote_id', () => {
    const record = { remote_id: '102', display_name: 'Ben Adams', first_name: 'Ben', mobile_phone: null, custom_fields: { location: 'Remote' }, id: 'rec_x' };
    expect(UNIFIED_MODEL_CHECKS['hris/employees']!(record)).toBe(true);
    expect(UNIFIED_MODEL_CHECKS['hris/employees']!({ ...record, remote_id: undefined })).toBe(false);
    expect(UNIFIED_MODEL_CHECKS['hris/employees']!({ ...record, custom_fields: symbolKeyed })).toBe(false);
  });
});
