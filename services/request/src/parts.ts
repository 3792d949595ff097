import type { Bus } from '@switchyard/bus';
import type { EgressPolicy, Logger, Metrics, Tracer, Vault } from '@switchyard/kernel';
import type { ExpressionSandbox, MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import type { ProviderClient } from '@switchyard/provider-client';
import type { Runtime } from '@switchyard/runtime';
import type { AccountStore, EnvironmentStore, MappingStore, ProviderAppStore, SubscriptionStore } from '@switchyard/stores';

/** What the request service works with: every store, the catalog, and the provider client. */
export interface RequestParts {
  readonly logger: Logger;
  readonly bus: Bus;
  readonly engine: MappingEngine;
  /** Where previews run. */
  readonly sandbox: ExpressionSandbox;
  readonly catalog: ProviderCatalog;
  readonly vault: Vault;
  readonly egress: EgressPolicy;
  /** Base URL providers call, without trailing slash (webhook URLs in answers, OAuth redirect). */
  readonly publicUrl: string;
  readonly environments: EnvironmentStore;
  readonly accounts: AccountStore;
  readonly subscriptions: SubscriptionStore;
  readonly providerApps: ProviderAppStore;
  readonly mappings: MappingStore;
  /** Unified calls and the proxy. */
  readonly client: ProviderClient;
  /** The process's metrics (registration states). */
  readonly metrics?: Metrics | undefined;
  /** Spans of poll runs (no-op when tracing is off or absent). */
  readonly tracer?: Tracer | undefined;
}

/** Opens the request service's parts from a process's runtime. */
export async function requestParts(runtime: Runtime): Promise<RequestParts> {
  const [catalog, environments, accounts, subscriptions, providerApps, mappings, client] = await Promise.all([
    runtime.catalog(),
    runtime.environments(),
    runtime.accounts(),
    runtime.subscriptions(),
    runtime.providerApps(),
    runtime.mappings(),
    runtime.providerClient(),
  ]);
  const { logger, bus, engine, sandbox, vault, egress, publicUrl, metrics, tracer } = runtime;
  return { logger, bus, engine, sandbox, vault, egress, publicUrl, catalog, environments, accounts, subscriptions, providerApps, mappings, client, metrics, tracer };
}
