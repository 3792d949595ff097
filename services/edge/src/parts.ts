import type { Bus } from '@switchyard/bus';
import type { Logger, Metrics, Tracer, Vault } from '@switchyard/kernel';
import type { MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import type { ProviderHttp } from '@switchyard/provider-client';
import type { Runtime } from '@switchyard/runtime';
import type { AccountStore, ProviderAppStore } from '@switchyard/stores';

/** What the edge works with: no subscriptions, no mapping overrides, no OAuth2 token manager. */
export interface EdgeParts {
  readonly logger: Logger;
  readonly bus: Bus;
  readonly engine: MappingEngine;
  readonly catalog: ProviderCatalog;
  readonly vault: Vault;
  readonly metrics: Metrics;
  /** Spans of webhook requests (no-op when tracing is off). */
  readonly tracer: Tracer;
  /** Base URL providers call, without trailing slash: what signed URLs are verified against. */
  readonly publicUrl: string;
  readonly accounts: AccountStore;
  readonly providerApps: ProviderAppStore;
  /** The OAuth code exchange at a provider's token endpoint and JWKS fetches, under the provider egress policy. */
  readonly http: Pick<ProviderHttp, 'send' | 'fetch'>;
}

/** Opens the edge's parts from a process's runtime. */
export async function edgeParts(runtime: Runtime): Promise<EdgeParts> {
  const [catalog, accounts, providerApps, http] = await Promise.all([runtime.catalog(), runtime.accounts(), runtime.providerApps(), runtime.providerHttp()]);
  return { logger: runtime.logger, bus: runtime.bus, engine: runtime.engine, vault: runtime.vault, metrics: runtime.metrics, tracer: runtime.tracer, publicUrl: runtime.publicUrl, catalog, accounts, providerApps, http };
}
