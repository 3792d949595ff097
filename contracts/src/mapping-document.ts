import { z } from 'zod';

/**
 * The overridable part of a provider definition: the webhook mapping's JSONata text and its
 * `bindings` — data the expression reads as `$name` (enum maps, department codes…). Resolved base ▸
 * environment override ▸ account override by {@link deepMerge}.
 */
export const MappingDocument = z.object({
  webhook: z.object({
    mapping: z.string().min(1),
    bindings: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'binding names are JSONata variable names'), z.unknown()).default({}),
  }),
});
export type MappingDocument = z.infer<typeof MappingDocument>;

/** An override: any part of a {@link MappingDocument}; `null` removes a binding. */
export const MappingOverride = z
  .object({
    webhook: z
      .object({
        mapping: z.string().min(1).optional(),
        bindings: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.unknown()).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type MappingOverride = z.infer<typeof MappingOverride>;

/** `POST /v1/mappings/{provider}[/accounts/{id}]/rollback` */
export const MappingRollback = z.object({ revision: z.number().int().positive() }).strict();

/** `POST /v1/mappings/preview` */
export const MappingPreview = z
  .object({
    provider: z.string().min(1),
    integrated_account_id: z.string().optional(),
    /** A mapping to try instead of the resolved one (JSONata text). */
    mapping: z.string().min(1).optional(),
    payload: z.unknown(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Deep merge for overrides: objects merge key by key, anything else (arrays, strings, numbers)
 * replaces, and `null` removes the key. Neither input is modified.
 */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isObject(base) || !isObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = deepMerge(out[key], value);
  }
  return out as T;
}
