import { deepMerge, MappingDocument, SwitchyardError, type MappingOverride } from '@switchyard/contracts';
import { type Bus, KvCollection } from '@switchyard/bus';
import { mappingVersion, type LoadedProvider, type MappingSource, type MappingEngine } from '@switchyard/mapping';
import type { Logger } from '@switchyard/kernel';
import { pruneApiNulls, resolveApiResource, validateApiOverride, type ResolvedApiResource } from './api-overrides.js';

/** Where an override applies. */
export type OverrideLevel = { environmentId: string } | { environmentId: string; accountId: string };

/** An override as stored (one KV key per level and provider; KV history holds its revisions). */
export interface OverrideRecord {
  document: MappingOverride;
  updated_at: string;
}

/** A mapping resolved for one delivery: the expression, its bindings, its version and where it came from. */
export interface ResolvedMapping extends MappingSource {
  /** KV revisions of the overrides that shaped it (null: none at that level). */
  revisions: { environment: number | null; account: number | null };
  /** The expression is a tenant's (an override replaced the shipped one): it runs in the sandbox. */
  tenantWritten: boolean;
}

/** One revision of an override, for `…/history`. */
export interface OverrideRevision {
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
  created_at: string;
  document: MappingOverride | null;
}

const keyOf = (provider: string, level: OverrideLevel) =>
  'accountId' in level ? `account.${level.accountId}.${provider}` : `env.${level.environmentId}.${provider}`;

/** Resolved API resources kept per (levels, revisions): a change is a new revision, so a new key. */
const API_CACHE_SIZE = 1_000;

/**
 * Mapping overrides in the `mappings` bucket, resolved base ▸ environment ▸ account by deep merge.
 * Every change is a KV revision, so history and rollback come from KV itself. All overrides are
 * mirrored in memory by a watch, so workers resolve without I/O and pick changes up within the
 * watch's latency — no restart.
 */
export class MappingStore {
  readonly #overrides: KvCollection<OverrideRecord>;
  readonly #bus: Bus;
  readonly #engine: MappingEngine;
  /** Resolved API resources by override keys and revisions (only those some override shapes). */
  readonly #apiCache = new Map<string, ResolvedApiResource>();
  /** The base of each resource, resolved once: most calls see no override at all. */
  readonly #apiBase = new WeakMap<object, ResolvedApiResource>();

  private constructor(bus: Bus, overrides: KvCollection<OverrideRecord>, engine: MappingEngine) {
    this.#bus = bus;
    this.#overrides = overrides;
    this.#engine = engine;
  }

  static async open(bus: Bus, engine: MappingEngine, logger: Logger): Promise<MappingStore> {
    const overrides = new KvCollection<OverrideRecord>(bus.kv.mappings, logger);
    await overrides.start();
    return new MappingStore(bus, overrides, engine);
  }

  /** The mapping for a delivery of `provider` to `accountId` in `environmentId`. Throws if the provider has none. */
  resolve(provider: LoadedProvider, environmentId: string, accountId?: string): ResolvedMapping {
    const base = provider.webhookMapping;
    if (!base) throw new SwitchyardError('SWY_ERR_MAPPING_MISSING', `no webhook mapping for provider '${provider.definition.slug}'`);
    const slug = provider.definition.slug;
    const env = this.#overrides.peek(keyOf(slug, { environmentId }));
    const account = accountId ? this.#overrides.peek(keyOf(slug, { environmentId, accountId })) : undefined;
    if (!env && !account) return { ...base, revisions: { environment: null, account: null }, tenantWritten: false };
    let document: MappingDocument = { webhook: { mapping: base.source, bindings: base.bindings } };
    if (env) document = deepMerge(document, env.value.document);
    if (account) document = deepMerge(document, account.value.document);
    const { mapping: source, bindings } = document.webhook;
    return {
      name: `${base.name} (overridden)`,
      source,
      bindings,
      version: mappingVersion(slug, provider.definition.version, source, bindings),
      revisions: { environment: env?.revision ?? null, account: account?.revision ?? null },
      tenantWritten: source !== base.source,
    };
  }

  /**
   * The unified `resource` of `provider` for a call of `accountId` in `environmentId`: base ▸
   * environment ▸ account, from the in-memory mirror (a change made on any replica is seen here as
   * soon as the KV watch brings it). Undefined when the provider does not back the resource.
   */
  resolveApi(provider: LoadedProvider, resource: string, environmentId: string, accountId?: string): ResolvedApiResource | undefined {
    const base = provider.definition.api?.resources[resource];
    if (!base) return undefined;
    const slug = provider.definition.slug;
    const envKey = keyOf(slug, { environmentId });
    const env = this.#overrides.peek(envKey);
    const account = accountId ? this.#overrides.peek(keyOf(slug, { environmentId, accountId })) : undefined;
    const envApi = env?.value.document.api?.resources[resource] ? env.value.document.api : undefined;
    const accountApi = account?.value.document.api?.resources[resource] ? account.value.document.api : undefined;
    if (!envApi && !accountApi) {
      let resolved = this.#apiBase.get(base);
      if (!resolved) this.#apiBase.set(base, (resolved = resolveApiResource(resource, base, [], { environment: null, account: null })));
      return resolved;
    }
    const cacheKey = `${resource} ${envKey}@${env?.revision ?? 0} ${accountId ?? ''}@${account?.revision ?? 0}`;
    let resolved = this.#apiCache.get(cacheKey);
    if (!resolved) {
      resolved = resolveApiResource(resource, base, [envApi, accountApi], { environment: env?.revision ?? null, account: account?.revision ?? null });
      this.#apiCache.set(cacheKey, resolved);
      if (this.#apiCache.size > API_CACHE_SIZE) this.#apiCache.delete(this.#apiCache.keys().next().value as string);
    }
    return resolved;
  }

  /** KV revisions of the environment's and the account's override of `provider` (null: none at that level). */
  revisions(provider: string, environmentId: string, accountId?: string): ResolvedMapping['revisions'] {
    const env = this.#overrides.peek(keyOf(provider, { environmentId }));
    const account = accountId ? this.#overrides.peek(keyOf(provider, { environmentId, accountId })) : undefined;
    return { environment: env?.revision ?? null, account: account?.revision ?? null };
  }

  /** The override alone at a level (undefined when none). */
  async override(provider: string, level: OverrideLevel): Promise<{ document: MappingOverride; revision: number } | undefined> {
    const entry = await this.#bus.kv.mappings.get(keyOf(provider, level));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { document: entry.json<OverrideRecord>().document, revision: entry.revision };
  }

  /**
   * Deep-merges `change` into the level's override and saves it as a new revision, after checking that
   * the result is a valid document whose expression compiles (a broken override is refused, not stored).
   */
  async merge(provider: LoadedProvider, level: OverrideLevel, change: MappingOverride): Promise<number> {
    const current = (await this.override(provider.definition.slug, level))?.document ?? {};
    const merged = deepMerge<MappingOverride>(current, change);
    if (merged.api) {
      // In an API override null removes that part of the override; nothing stored removes a base expression.
      const api = pruneApiNulls(merged.api);
      if (api) merged.api = api;
      else delete merged.api;
    }
    return this.#save(provider, level, merged);
  }

  /** Restores the document of an earlier revision as a new revision. */
  async rollback(provider: LoadedProvider, level: OverrideLevel, revision: number): Promise<number> {
    const found = (await this.history(provider.definition.slug, level)).find((r) => r.revision === revision);
    if (!found) throw new SwitchyardError('SWY_ERR_NOT_FOUND', `no revision ${revision} of this override`);
    if (!found.document) {
      await this.remove(provider.definition.slug, level);
      return revision;
    }
    return this.#save(provider, level, found.document);
  }

  /** Removes the level's override (the deletion is itself a revision in the history). */
  async remove(provider: string, level: OverrideLevel): Promise<void> {
    await this.#overrides.delete(keyOf(provider, level));
  }

  /** Every revision of the level's override, oldest first (KV keeps the last 64). */
  async history(provider: string, level: OverrideLevel): Promise<OverrideRevision[]> {
    const iterator = await this.#bus.kv.mappings.history({ key: keyOf(provider, level) });
    const revisions: OverrideRevision[] = [];
    for await (const entry of iterator) {
      revisions.push({
        revision: entry.revision,
        operation: entry.operation,
        created_at: entry.created.toISOString(),
        document: entry.operation === 'PUT' ? entry.json<OverrideRecord>().document : null,
      });
    }
    return revisions;
  }

  stop(): void {
    this.#overrides.stop();
  }

  async #save(provider: LoadedProvider, level: OverrideLevel, document: MappingOverride): Promise<number> {
    const base = provider.webhookMapping;
    const slug = provider.definition.slug;
    if (base) {
      const { api: _api, ...webhookPart } = document;
      const resolved = MappingDocument.safeParse(deepMerge({ webhook: { mapping: base.source, bindings: base.bindings } }, webhookPart));
      if (!resolved.success) throw new SwitchyardError('SWY_ERR_VALIDATION', resolved.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      this.#engine.compile(`${slug} override`, resolved.data.webhook.mapping);
    } else if (document.webhook) {
      throw new SwitchyardError('SWY_ERR_MAPPING_MISSING', `no webhook mapping for provider '${slug}'`);
    }
    if (document.api) validateApiOverride(slug, provider.definition.api, document.api, (name, source) => this.#engine.compile(name, source));
    await this.#overrides.put(keyOf(provider.definition.slug, level), { document, updated_at: new Date().toISOString() });
    return (await this.#bus.kv.mappings.get(keyOf(provider.definition.slug, level)))?.revision ?? 0;
  }
}
