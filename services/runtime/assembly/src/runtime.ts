import { connectBus, type Bus, type BusOptions } from '@switchyard/bus';
import { EgressPolicy, Metrics, Vault, type Logger } from '@switchyard/kernel';
import { MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import { openProviderClient, ProviderHttp, type ProviderClient } from '@switchyard/provider-client';
import { AccountStore, EnvironmentStore, MappingStore, ProviderAppStore, SubscriptionStore } from '@switchyard/stores';

/** What {@link Runtime.open} needs, already parsed from the environment. */
export interface RuntimeOptions {
  name: string;
  logger: Logger;
  natsUrl: string;
  replicas: number;
  rawRetentionHours: number;
  eventsRetentionHours: number;
  /** Bytes per stream (`SWITCHYARD_<STREAM>_MAX_BYTES`, 0 = unbounded); defaults when left out. */
  streamMaxBytes?: BusOptions['streamMaxBytes'];
  encryptionKey: string;
  egressAllow: readonly string[];
  /** Plain http to any destination (`SWITCHYARD_EGRESS_ALLOW_HTTP`). */
  egressAllowHttp?: boolean;
  mappingsDir?: string | undefined;
  /** Base URL providers call; a trailing slash is dropped. */
  publicUrl: string;
  metrics?: Metrics;
  /** Timeout of one provider API call, in ms. */
  providerTimeoutMs?: number;
}

/** Opens a part on first use, once; later callers share the same promise. */
class Lazy<T> {
  #opened: Promise<T> | undefined;
  constructor(readonly open: () => Promise<T>) {}
  get(): Promise<T> {
    return (this.#opened ??= this.open());
  }
  /** The part, if something asked for it. */
  async peek(): Promise<T | undefined> {
    return this.#opened ? await this.#opened.catch(() => undefined) : undefined;
  }
}

/**
 * The parts one process can open, each on first use and once: a service takes the parts it names
 * (its own small interface), and whatever no service of the process asked for is never built — a
 * standalone delivery process loads no provider catalog and no OAuth machinery. Eager and cheap: the
 * bus connection (bootstrapped), the vault, the egress policy, the mapping engine and metrics. In the
 * embedded default all services share one runtime, so each bucket is watched once per process.
 */
export class Runtime {
  readonly name: string;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly vault: Vault;
  readonly egress: EgressPolicy;
  readonly engine: MappingEngine;
  readonly metrics: Metrics;
  /** Base URL providers call, without trailing slash. */
  readonly publicUrl: string;
  readonly #catalog: Lazy<ProviderCatalog>;
  readonly #accounts: Lazy<AccountStore>;
  readonly #providerApps: Lazy<ProviderAppStore>;
  readonly #mappings: Lazy<MappingStore>;
  readonly #subscriptions: Lazy<SubscriptionStore>;
  readonly #environments: Lazy<EnvironmentStore>;
  readonly #providerHttp: Lazy<ProviderHttp>;
  readonly #providerClient: Lazy<ProviderClient>;

  private constructor(options: RuntimeOptions, bus: Bus) {
    this.name = options.name;
    this.logger = options.logger;
    this.bus = bus;
    this.vault = new Vault(options.encryptionKey);
    this.egress = new EgressPolicy(options.egressAllow, { allowHttp: options.egressAllowHttp ?? false });
    this.engine = new MappingEngine();
    this.metrics = options.metrics ?? new Metrics();
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    const timeoutMs = options.providerTimeoutMs ?? 30_000;
    this.#catalog = new Lazy(() => ProviderCatalog.load(options.mappingsDir, this.engine));
    this.#accounts = new Lazy(() => AccountStore.open(bus, this.vault, this.logger));
    this.#providerApps = new Lazy(() => ProviderAppStore.open(bus, this.vault, this.logger));
    this.#mappings = new Lazy(() => MappingStore.open(bus, this.engine, this.logger));
    this.#subscriptions = new Lazy(() => SubscriptionStore.open(bus, this.vault, this.logger));
    this.#environments = new Lazy(() => EnvironmentStore.open(bus, this.logger));
    this.#providerHttp = new Lazy(async () => new ProviderHttp(this.egress, { timeoutMs }));
    this.#providerClient = new Lazy(async () => {
      const [catalog, accounts, providerApps, http] = await Promise.all([this.catalog(), this.accounts(), this.providerApps(), this.providerHttp()]);
      return openProviderClient({ bus, vault: this.vault, egress: this.egress, engine: this.engine, catalog, accounts, providerApps, http, logger: this.logger, publicUrl: this.publicUrl, timeoutMs });
    });
  }

  /** Connects to NATS and bootstraps every stream and bucket; everything else opens on first use. */
  static async open(options: RuntimeOptions): Promise<Runtime> {
    const bus = await connectBus({
      servers: options.natsUrl,
      name: options.name,
      logger: options.logger,
      replicas: options.replicas,
      rawRetentionHours: options.rawRetentionHours,
      eventsRetentionHours: options.eventsRetentionHours,
      streamMaxBytes: options.streamMaxBytes,
    });
    return new Runtime(options, bus);
  }

  /** The provider definitions and their compiled mappings. */
  catalog(): Promise<ProviderCatalog> {
    return this.#catalog.get();
  }
  accounts(): Promise<AccountStore> {
    return this.#accounts.get();
  }
  providerApps(): Promise<ProviderAppStore> {
    return this.#providerApps.get();
  }
  mappings(): Promise<MappingStore> {
    return this.#mappings.get();
  }
  subscriptions(): Promise<SubscriptionStore> {
    return this.#subscriptions.get();
  }
  environments(): Promise<EnvironmentStore> {
    return this.#environments.get();
  }
  /** Egress-checked HTTP to providers (no credentials: the OAuth code exchange uses it as it is). */
  providerHttp(): Promise<ProviderHttp> {
    return this.#providerHttp.get();
  }
  /** Calls to provider APIs with an account's credentials: tokens, governor, unified engine. */
  providerClient(): Promise<ProviderClient> {
    return this.#providerClient.get();
  }

  /** Stops the store watches that were opened, drains the NATS connection, closes the provider pool. */
  async close(): Promise<void> {
    const stores = [this.#accounts, this.#providerApps, this.#mappings, this.#subscriptions, this.#environments] as Array<Lazy<{ stop(): void }>>;
    await Promise.all(stores.map(async (lazy) => (await lazy.peek())?.stop()));
    await this.bus.close();
    await (await this.#providerHttp.peek())?.close();
  }
}
