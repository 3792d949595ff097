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

/** A JSONata expression in an API override; `null` drops it from the override (the base expression applies again). */
const ApiExpression = z.string().min(1).nullable().optional();

/** Names the customer's list query already uses: an override cannot declare them as provider filters. */
export const RESERVED_LIST_PARAMETERS = ['integrated_account_id', 'limit', 'cursor', 'updated_after', 'include_remote_data'] as const;

/**
 * The overridable part of one unified resource of a provider's `api` section: only the JSONata that
 * shapes requests and records, and the list filters. Never `path`, `method`, `headers`, `base_url`,
 * `auth` or pagination — a tenant must not redirect the hub's calls nor reach the account's credentials —
 * so every object is strict and any other key is refused.
 */
export const ApiResourceOverride = z
  .object({
    list: z.object({ map: ApiExpression, query: ApiExpression, records: ApiExpression }).strict().nullable().optional(),
    get: z.object({ map: ApiExpression, query: ApiExpression }).strict().nullable().optional(),
    create: z.object({ body: ApiExpression, map: ApiExpression }).strict().nullable().optional(),
    update: z.object({ body: ApiExpression, map: ApiExpression }).strict().nullable().optional(),
    /** Replaces the query parameters `list` passes to the `query` expression as `input.filters`. */
    filters: z
      .array(
        z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'a filter is a lower-case query parameter name')
          .refine((name) => !(RESERVED_LIST_PARAMETERS as readonly string[]).includes(name), 'a reserved list parameter'),
      )
      .max(32)
      .nullable()
      .optional(),
  })
  .strict();
export type ApiResourceOverride = z.infer<typeof ApiResourceOverride>;

/** The expression fields an API override may set, per operation. */
export const API_OVERRIDE_FIELDS = { list: ['map', 'query', 'records'], get: ['map', 'query'], create: ['body', 'map'], update: ['body', 'map'] } as const;
export type ApiOverrideOperation = keyof typeof API_OVERRIDE_FIELDS;

/**
 * An override: any part of a {@link MappingDocument}, and the `api` section — per unified resource
 * (`hris/employees`), the expressions and filters of {@link ApiResourceOverride}. `null` removes a
 * binding; in `api`, `null` removes that part of the override (the base comes back).
 */
export const MappingOverride = z
  .object({
    webhook: z
      .object({
        mapping: z.string().min(1).optional(),
        bindings: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.unknown()).optional(),
      })
      .strict()
      .optional(),
    api: z
      .object({
        resources: z.record(z.string().regex(/^[a-z]+\/[a-z_]+$/, 'a unified resource like hris/employees'), ApiResourceOverride.nullable()),
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

/** `POST /v1/mappings/preview/api`: the unified record a provider record becomes, nothing called. */
export const ApiMappingPreview = z
  .object({
    provider: z.string().min(1),
    /** A unified resource of the provider (`hris/employees`). */
    resource: z.string().min(1),
    operation: z.enum(['list', 'get']).default('get'),
    /** Resolve the account's overrides (and use its id for the record's stable `id`). */
    integrated_account_id: z.string().optional(),
    /** A `map` expression to try instead of the resolved one (JSONata text). */
    mapping: z.string().min(1).optional(),
    /** One record as the provider's API answers it. */
    record: z.record(z.string(), z.unknown()),
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
