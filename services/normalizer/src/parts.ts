import type { Bus } from '@switchyard/bus';
import type { Logger, Metrics, Tracer } from '@switchyard/kernel';
import type { ExpressionSandbox, MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import type { UnifiedEngine } from '@switchyard/provider-client';
import type { Runtime } from '@switchyard/runtime';
import type { AccountStore, MappingStore } from '@switchyard/stores';

/** What the normalizer works with: the catalog and overrides to map with, the unified engine to enrich with. */
export interface NormalizerParts {
  readonly logger: Logger;
  readonly bus: Bus;
  readonly engine: MappingEngine;
  /** Where overridden (tenant-written) mappings run. */
  readonly sandbox: ExpressionSandbox;
  readonly catalog: ProviderCatalog;
  readonly metrics: Metrics;
  /** Spans of mapping, enrichment and event publishes (no-op when tracing is off). */
  readonly tracer: Tracer;
  readonly accounts: AccountStore;
  readonly mappings: MappingStore;
  /** Fetches the full record of a thin event (enrichment). */
  readonly unified: Pick<UnifiedEngine, 'get'>;
}

/** Opens the normalizer's parts from a process's runtime. */
export async function normalizerParts(runtime: Runtime): Promise<NormalizerParts> {
  const [catalog, accounts, mappings, client] = await Promise.all([runtime.catalog(), runtime.accounts(), runtime.mappings(), runtime.providerClient()]);
  return { logger: runtime.logger, bus: runtime.bus, engine: runtime.engine, sandbox: runtime.sandbox, metrics: runtime.metrics, tracer: runtime.tracer, catalog, accounts, mappings, unified: client.unified };
}
