import { connectBus, type Bus } from './bus.js';
import { ProviderCatalog } from './catalog.js';
import { EgressPolicy } from './egress.js';
import type { Logger } from './logger.js';
import { MappingEngine } from './mapping-engine.js';
import { Metrics } from './metrics.js';
import { cursorKey, type CursorKey } from './cursor/index.js';
import { ProviderHttp } from './provider-client/http.js';
import { ConcurrencyGovernor } from './provider-client/governor.js';
import { OAuth2Tokens } from './provider-client/oauth2-tokens.js';
import { AccountStore } from './stores/accounts.js';
import { EnvironmentStore } from './stores/environments.js';
import { ProviderAppStore } from './stores/provider-apps.js';
import { MappingStore } from './stores/mappings.js';
import { SubscriptionStore } from './stores/subscriptions.js';
import { Vault } from './vault.js';

/** What {@link openContext} needs, already parsed from the environment. */
export interface ContextOptions {
  name: string;
  logger: Logger;
  natsUrl: string;
  replicas: number;
  rawRetentionHours: number;
  eventsRetentionHours: number;
  encryptionKey: string;
  egressAllow: readonly string[];
  /** Plain http to any destination (`SWITCHYARD_EGRESS_ALLOW_HTTP`). */
  egressAllowHttp?: boolean;
  mappingsDir?: string | undefined;
  /** Base URL providers call, without trailing slash. */
  publicUrl: string;
  metrics?: Metrics;
  /** Timeout of one provider API call, in ms. */
  providerTimeoutMs?: number;
}

/**
 * The shared kernel handed to every service: the bus, the provider catalog, the mapping engine, the
 * vault, the egress policy, metrics, and control-data stores opened on first use. In the embedded
 * default all services share one context, so each bucket is watched once per process.
 */
export interface RuntimeContext {
  readonly name: string;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly catalog: ProviderCatalog;
  readonly engine: MappingEngine;
  readonly vault: Vault;
  readonly egress: EgressPolicy;
  readonly metrics: Metrics;
  readonly publicUrl: string;
  /** Outbound HTTP to provider APIs, egress-checked, one keep-alive pool per origin; `providerHttp.tokens` refreshes OAuth2 tokens. */
  readonly providerHttp: ProviderHttp;
  /** Per-account concurrency caps for provider calls, shared by every process through KV. */
  readonly governor: ConcurrencyGovernor;
  /** Seals unified-API pagination cursors (derived from the encryption key). */
  readonly cursorKey: CursorKey;
  accounts(): Promise<AccountStore>;
  providerApps(): Promise<ProviderAppStore>;
  mappings(): Promise<MappingStore>;
  subscriptions(): Promise<SubscriptionStore>;
  environments(): Promise<EnvironmentStore>;
  /** Stops store watches and drains the NATS connection. */
  close(): Promise<void>;
}

/** Connects, bootstraps the bus and loads the catalog; stores open lazily. */
export async function openContext(options: ContextOptions): Promise<RuntimeContext> {
  const vault = new Vault(options.encryptionKey);
  const egress = new EgressPolicy(options.egressAllow, { allowHttp: options.egressAllowHttp ?? false });
  const engine = new MappingEngine();
  const catalog = await ProviderCatalog.load(options.mappingsDir, engine);
  const bus = await connectBus({
    servers: options.natsUrl,
    name: options.name,
    logger: options.logger,
    replicas: options.replicas,
    rawRetentionHours: options.rawRetentionHours,
    eventsRetentionHours: options.eventsRetentionHours,
  });
  const providerHttp = new ProviderHttp(egress, { timeoutMs: options.providerTimeoutMs ?? 30_000 });
  const once = <T extends { stop(): void }>(open: () => Promise<T>) => {
    let opened: Promise<T> | undefined;
    return { get: () => (opened ??= open()), stop: async () => (opened ? (await opened).stop() : undefined) };
  };
  const accounts = once(() => AccountStore.open(bus, vault, options.logger));
  const subscriptions = once(() => SubscriptionStore.open(bus, vault, options.logger));
  const providerApps = once(() => ProviderAppStore.open(bus, vault, options.logger));
  const mappings = once(() => MappingStore.open(bus, engine, options.logger));
  const environments = once(() => EnvironmentStore.open(bus, options.logger));
  providerHttp.tokens = new OAuth2Tokens({
    bus,
    vault,
    catalog,
    accounts: accounts.get,
    providerApps: providerApps.get,
    logger: options.logger,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    dispatcher: providerHttp.agent,
  });
  return {
    name: options.name,
    logger: options.logger,
    bus,
    catalog,
    engine,
    vault,
    egress,
    metrics: options.metrics ?? new Metrics(),
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    providerHttp,
    // Leases outlive a provider call's timeout, so only a crashed holder's slot ever expires.
    governor: new ConcurrencyGovernor(bus.kv.locks, { leaseMs: (options.providerTimeoutMs ?? 30_000) + 30_000 }),
    cursorKey: cursorKey(vault.derive('cursor')),
    accounts: accounts.get,
    providerApps: providerApps.get,
    mappings: mappings.get,
    subscriptions: subscriptions.get,
    environments: environments.get,
    close: async () => {
      await Promise.all([accounts.stop(), providerApps.stop(), mappings.stop(), subscriptions.stop(), environments.stop()]);
      await bus.close();
      await providerHttp.close();
    },
  };
}
