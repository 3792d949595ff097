import { API_OVERRIDE_FIELDS, SwitchyardError, type ApiOperation, type ApiOverrideOperation, type ApiResource, type MappingOverride, type ProviderApi } from '@switchyard/contracts';

/** The `api` section of an override. */
export type ApiOverrideSection = NonNullable<MappingOverride['api']>;

/**
 * One unified resource of a provider as a call should use it: the base operations with the
 * overridden expressions and filters in place, and which expressions are a tenant's (those run in the
 * tenant's sandbox; the shipped ones stay on the in-process engine).
 */
export interface ResolvedApiResource {
  resource: ApiResource;
  /** `"<operation>.<field>"` (`list.map`) of every expression an override replaced. */
  tenantWritten: ReadonlySet<string>;
  /** KV revisions of the overrides that shaped it (null: none at that level). */
  revisions: { environment: number | null; account: number | null };
}

const OPERATIONS = Object.keys(API_OVERRIDE_FIELDS) as ApiOverrideOperation[];
const NONE: ReadonlySet<string> = new Set();

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks an `api` override against the provider it is for, before it is stored: every resource must be
 * one the provider's definition backs, every operation one the base has, and every expression must
 * compile. Errors name the JSON path of the bad field (`api.resources.hris/employees.list.map`):
 * `SWY_ERR_VALIDATION` for what the provider does not have, the compiler's `SWY_ERR_MAPPING_FAILED`
 * for an expression that does not compile.
 */
export function validateApiOverride(slug: string, api: ProviderApi | undefined, section: ApiOverrideSection, compile: (name: string, source: string) => unknown): void {
  const invalid = (path: string, message: string) =>
    new SwitchyardError('SWY_ERR_VALIDATION', `${path}: ${message}`, { extensions: { errors: [{ path, message }] } });
  for (const [name, override] of Object.entries(section.resources)) {
    const path = `api.resources.${name}`;
    const base = api?.resources[name];
    if (!base) throw invalid(path, `${slug} backs no unified resource '${name}'`);
    if (!override) continue;
    if (override.filters && !base.list) throw invalid(`${path}.filters`, `${slug} offers no list of ${name}`);
    for (const operation of OPERATIONS) {
      const fields = override[operation];
      if (!fields) continue;
      if (!base[operation]) throw invalid(`${path}.${operation}`, `${slug} offers no ${operation} of ${name}`);
      for (const field of API_OVERRIDE_FIELDS[operation]) {
        const source = (fields as Record<string, string | null | undefined>)[field];
        if (typeof source === 'string') compile(`${path}.${operation}.${field}`, source);
      }
    }
  }
}

/**
 * Drops `null`s from an `api` section after a merge: in an API override `null` means "remove this
 * part of the override", so what is stored never removes a base expression.
 */
export function pruneApiNulls(section: ApiOverrideSection): ApiOverrideSection | undefined {
  const prune = (value: unknown): unknown => {
    if (!isObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner === null || inner === undefined) continue;
      const pruned = prune(inner);
      if (isObject(pruned) && Object.keys(pruned).length === 0) continue;
      out[key] = pruned;
    }
    return out;
  };
  const resources = prune(section.resources) as ApiOverrideSection['resources'];
  return Object.keys(resources).length === 0 ? undefined : { resources };
}

/**
 * Applies the environment's and then the account's override of one resource to its base. Only the
 * expression fields of {@link API_OVERRIDE_FIELDS} and `filters` are taken from an override — whatever
 * else a stored document held, paths, methods, headers and auth stay the definition's.
 */
export function resolveApiResource(name: string, base: ApiResource, overrides: Array<ApiOverrideSection | undefined>, revisions: ResolvedApiResource['revisions']): ResolvedApiResource {
  const resource: ApiResource = { ...base };
  const tenantWritten = new Set<string>();
  for (const section of overrides) {
    const override = section?.resources[name];
    if (!override) continue;
    if (Array.isArray(override.filters)) resource.filters = [...override.filters];
    for (const operation of OPERATIONS) {
      const fields = override[operation] as Record<string, unknown> | null | undefined;
      const current = resource[operation];
      if (!fields || !current) continue;
      const next: ApiOperation = { ...current };
      for (const field of API_OVERRIDE_FIELDS[operation]) {
        const source = fields[field];
        if (typeof source !== 'string') continue;
        next[field] = source;
        if (source === base[operation]?.[field]) tenantWritten.delete(`${operation}.${field}`);
        else tenantWritten.add(`${operation}.${field}`);
      }
      resource[operation] = next;
    }
  }
  return { resource, tenantWritten: tenantWritten.size === 0 ? NONE : tenantWritten, revisions };
}
