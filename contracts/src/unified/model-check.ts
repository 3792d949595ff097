import type { z } from 'zod';
import { util } from 'zod/v4/core';

interface ZodInternals {
  _zod: { def: Record<string, any> & { type: string }; optin?: string; optout?: string };
  safeParse(value: unknown): { success: boolean };
}

type Check = (value: unknown) => boolean;

/**
 * One field's check: native for the kinds unified models are made of (plain strings, a minimum
 * length, enums, booleans, unknown, records of unknown values, optional and nullable wrappers), the
 * field's own zod schema for anything else (formats, numbers, nested objects and arrays, transforms).
 */
function fieldCheck(schema: ZodInternals): Check {
  const def = schema._zod.def;
  const zod: Check = (value) => schema.safeParse(value).success;
  switch (def.type) {
    case 'optional': {
      const inner = fieldCheck(def.innerType as ZodInternals);
      return (value) => value === undefined || inner(value);
    }
    case 'nullable': {
      const inner = fieldCheck(def.innerType as ZodInternals);
      return (value) => value === null || inner(value);
    }
    case 'unknown':
      return () => true;
    case 'boolean':
      return def.checks?.length ? zod : (value) => typeof value === 'boolean';
    case 'enum': {
      if (def.checks?.length) return zod;
      const values = new Set(Object.values(def.entries as Record<string, unknown>));
      return (value) => typeof value === 'string' && values.has(value);
    }
    case 'string': {
      const checks = (def.checks ?? []) as Array<{ _zod: { def: { check: string; minimum?: number } } }>;
      if (def.format !== undefined || def.coerce) return zod;
      if (checks.length === 0) return (value) => typeof value === 'string';
      if (checks.length === 1 && checks[0]!._zod.def.check === 'min_length') {
        const minimum = checks[0]!._zod.def.minimum!;
        return (value) => typeof value === 'string' && value.length >= minimum;
      }
      return zod;
    }
    case 'record': {
      const key = (def.keyType as ZodInternals)._zod.def;
      const value = (def.valueType as ZodInternals)._zod.def;
      // `z.record(z.string(), z.unknown())`: any plain object, its enumerable symbol keys being the only keys z.string() refuses.
      if (key.type !== 'string' || key.checks?.length || key.format !== undefined || value.type !== 'unknown' || def.checks?.length) return zod;
      return (v) => util.isPlainObject(v) && Object.getOwnPropertySymbols(v).every((s) => !Object.prototype.propertyIsEnumerable.call(v, s));
    }
  }
  return zod;
}

/**
 * A check that a unified record is valid, for callers that keep the record as it is (the unified API
 * returns the mapped record, not zod's copy): `true` only when `schema.safeParse(value)` succeeds, so
 * a caller runs zod only on `false`, to get the verdict and the wording. zod's own object parse runs
 * every field of the model (most absent from any one record, and a record of custom fields copied key
 * by key) at ~3 µs per record; this looks up the record's own keys in the model and checks each
 * natively where it can. zod stays the contract: a kind of field it does not know is zod's to check.
 */
export function modelCheck(schema: z.ZodType): Check {
  const def = (schema as unknown as ZodInternals)._zod.def;
  if (def.type !== 'object' || def.catchall !== undefined) return () => false;
  const shape = def.shape as Record<string, ZodInternals>;
  const fields = new Map<string, { check: Check; required: boolean }>();
  let required = 0;
  for (const key of Object.keys(shape)) {
    if (key === '__proto__') continue;
    const { optin, optout } = shape[key]!._zod;
    // A default (neither plainly optional nor required) or a key Object.prototype has: zod's to judge.
    if (!(optin === undefined || (optin === 'optional' && optout === 'optional')) || key in Object.prototype) return () => false;
    if (optin === undefined) required++;
    fields.set(key, { check: fieldCheck(shape[key]!), required: optin === undefined });
  }
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    // zod asks `key in value`; with this prototype and no model key on it, that is "an own key".
    if (proto !== Object.prototype && proto !== null) return false;
    let seen = 0;
    for (const key of Object.getOwnPropertyNames(value)) {
      const field = fields.get(key);
      if (field === undefined) continue;
      if (!field.check((value as Record<string, unknown>)[key])) return false;
      if (field.required) seen++;
    }
    return seen === required;
  };
}
