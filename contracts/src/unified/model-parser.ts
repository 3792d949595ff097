import type { z } from 'zod';

/** What {@link modelParser} returns: zod's `safeParse` result shape. */
export type ModelParse = { success: true; data: Record<string, unknown> } | { success: false; error: z.ZodError };

/** A field value the fast path does not vouch for: the whole value then goes to zod. */
const UNSURE: unique symbol = Symbol('unsure');

type FieldParse = (value: unknown) => unknown;

interface ZodInternals {
  _zod: { def: Record<string, any> & { type: string }; optin?: string; optout?: string };
  safeParse(value: unknown): { success: boolean; data?: unknown };
}

/**
 * One field's parse: native checks for the kinds unified models are made of (plain strings, a
 * minimum length, enums, booleans, unknown, optional and nullable wrappers), and the field's own
 * zod schema for anything else (formats, numbers, nested objects and arrays, transforms), so every
 * value it returns is the value zod's parse of that field returns.
 */
function fieldParse(schema: ZodInternals): FieldParse {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional': {
      const inner = fieldParse(def.innerType as ZodInternals);
      return (value) => (value === undefined ? undefined : inner(value));
    }
    case 'nullable': {
      const inner = fieldParse(def.innerType as ZodInternals);
      return (value) => (value === null ? null : inner(value));
    }
    case 'unknown':
      return (value) => value;
    case 'boolean':
      if (def.checks?.length) break;
      return (value) => (typeof value === 'boolean' ? value : UNSURE);
    case 'enum': {
      if (def.checks?.length) break;
      const values = new Set(Object.values(def.entries as Record<string, unknown>));
      return (value) => (typeof value === 'string' && values.has(value) ? value : UNSURE);
    }
    case 'string': {
      if (def.format !== undefined || def.coerce) break;
      const checks = (def.checks ?? []) as Array<{ _zod: { def: { check: string; minimum?: number } } }>;
      if (checks.length === 0) return (value) => (typeof value === 'string' ? value : UNSURE);
      if (checks.length === 1 && checks[0]!._zod.def.check === 'min_length') {
        const minimum = checks[0]!._zod.def.minimum!;
        return (value) => (typeof value === 'string' && value.length >= minimum ? value : UNSURE);
      }
      break;
    }
  }
  return (value) => {
    const result = schema.safeParse(value);
    return result.success ? result.data : UNSURE;
  };
}

/**
 * A parser for one unified model (a zod object, unknown keys stripped) that gives zod's own result
 * without running zod's whole object parse, which visits every field of the model — most of them
 * absent from any one record — at ~0.5 µs per record. It walks the model's fields in zod's order,
 * skips the absent optional ones, checks the present ones natively where it can, and builds the
 * output as zod builds it (model key order, unknown keys dropped, `undefined` kept for a key that is
 * present). Whenever anything is unusual — a missing required field, a value that fails its check, a
 * model shape it does not know — it hands the value to `schema.safeParse`, which decides and words
 * the error. zod stays the contract: this only ever returns what zod returns.
 */
export function modelParser(schema: z.ZodType): (value: unknown) => ModelParse {
  const zod = schema as unknown as ZodInternals;
  const slow = (value: unknown) => schema.safeParse(value) as ModelParse;
  const def = zod._zod.def;
  if (def.type !== 'object' || def.catchall !== undefined) return slow;
  const shape = def.shape as Record<string, ZodInternals>;
  const fields = Object.keys(shape)
    .filter((key) => key !== '__proto__')
    .map((key) => ({ key, optional: shape[key]!._zod.optin === 'optional' && shape[key]!._zod.optout === 'optional', required: shape[key]!._zod.optin === undefined, parse: fieldParse(shape[key]!) }));
  // A field that is neither plainly optional nor required (a default) is zod's to fill in.
  if (fields.some((f) => !f.optional && !f.required)) return slow;
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return slow(value);
    const input = value as Record<string, unknown>;
    const data: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      if (!(field.key in input)) {
        if (field.optional) continue;
        return slow(value);
      }
      const parsed = field.parse(input[field.key]);
      if (parsed === UNSURE) return slow(value);
      data[field.key] = parsed;
    }
    return { success: true, data };
  };
}
