import { connectBus, type Bus, type BusOptions, type NatsAuth } from '@switchyard/bus';
import { EgressPolicy, Metrics, TRACING_OFF, Vault, type Logger, type Tracer } from '@switchyard/kernel';
import { ExpressionSandbox, MappingEngine, ProviderCatalog, type SandboxOptions } from '@switchyard/mapping';
import { openProviderClient, ProviderHttp, type ProviderClient } from '@switchyard/provider-client';
import { AccountStore, EnvironmentStore, MappingStore, ProviderAppStore, SubscriptionStore } from '@switchyard/stores';

/** What {@link Runtime.open} needs, already parsed from the environment. */
export interface RuntimeOptions {
  name: string;
  logger: Logger;
  natsUrl: string;
  /** NATS credentials, when the server requires them. */
  natsAuth?: NatsAuth;
  replicas: number;
  rawRetentionHours: number;
  eventsRetentionHours: number;
  /** Bytes per stream (`SWITCHYARD_<STREAM>_MAX_BYTES`, 0 = unbounded); defaults when left out. */
  streamMaxBytes?: BusOptions['streamMaxBytes'];
  encryptionKey: string;
  /** Exceptions to the block list for deliveries (`SWITCHYARD_EGRESS_ALLOW`). */
  egressAllow: readonly string[];
  /** Exceptions to the block list for provider calls (`SWITCHYARD_PROVIDER_EGRESS_ALLOW`); none when unset. */
  providerEgressAllow?: readonly string[];
  /** Plain http to any destination (`SWITCHYARD_EGRESS_ALLOW_HTTP`). */
  egressAllowHttp?: boolean;
  mappingsDir?: string | undefined;
  /** Base URL providers call; a trailing slash is dropped. */
  publicUrl: string;
  metrics?: Metrics;
  /** Timeout of one provider API call, in ms. */
  providerTimeoutMs?: number;
  /** How long a unified write waits for a provider job to finish (`SWITCHYARD_PROVIDER_JOB_TIMEOUT_MS`). */
  providerJobTimeoutMs?: number;
  /** The tenant-expression sandbox (`SWITCHYARD_SANDBOX_*`); defaults when absent. */
  sandbox?: Partial<SandboxOptions>;
  /** Spans (kernel `startTracing`); off when absent. The caller closes its handle after the runtime. */
  tracer?: Tracer;
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
 * bus connection (bootstrapped), the vault, the egress policy, the mapping engine, the tenant-expression
 * sandbox (its workers start on first use) and metrics. In the
 * embedded default all services share one runtime, so each bucket is watched once per process.
 */
export class Runtime {
  readonly name: string;
  readonly logger: Logger;
  readonly bus: Bus;
  readonly vault: Vault;
  /** Where deliveries may go (customer endpoints). */
  readonly egress: EgressPolicy;
  /** Where provider calls may go: base URLs, the proxy, unified calls, token endpoints. */
  readonly providerEgress: EgressPolicy;
  readonly engine: MappingEngine;
  /** Where tenant-written expressions run (its workers start on first use). */
  readonly sandbox: ExpressionSandbox;
  readonly metrics: Metrics;
  /** Spans, or the no-op tracer when tracing is off. */
  readonly tracer: Tracer;
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
    const allowHttp = options.egressAllowHttp ?? false;
    this.egress = new EgressPolicy(options.egressAllow, { allowHttp, setting: 'SWITCHYARD_EGRESS_ALLOW' });
    // Separate on purpose: a tenant chooses a provider's base_url, so a local receiver the operator
    // opened for deliveries must not become readable through the proxy or unified reads.
    this.providerEgress = new EgressPolicy(options.providerEgressAllow ?? [], { allowHttp, setting: 'SWITCHYARD_PROVIDER_EGRESS_ALLOW' });
    this.engine = new MappingEngine();
    this.sandbox = new ExpressionSandbox(options.sandbox);
    this.metrics = options.metrics ?? new Metrics();
    this.tracer = options.tracer ?? TRACING_OFF;
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    const timeoutMs = options.providerTimeoutMs ?? 30_000;
    this.#catalog = new Lazy(() => ProviderCatalog.load(options.mappingsDir, this.engine));
    this.#accounts = new Lazy(() => AccountStore.open(bus, this.vault, this.logger));
    this.#providerApps = new Lazy(() => ProviderAppStore.open(bus, this.vault, this.logger));
    this.#mappings = new Lazy(() => MappingStore.open(bus, this.engine, this.logger));
    this.#subscriptions = new Lazy(() => SubscriptionStore.open(bus, this.vault, this.logger));
    this.#environments = new Lazy(() => EnvironmentStore.open(bus, this.logger));
    this.#providerHttp = new Lazy(async () => new ProviderHttp(this.providerEgress, { timeoutMs, tracer: this.tracer }));
    this.#providerClient = new Lazy(async () => {
      const [catalog, accounts, providerApps, http, overrides] = await Promise.all([this.catalog(), this.accounts(), this.providerApps(), this.providerHttp(), this.mappings()]);
      return openProviderClient({
        bus,
        vault: this.vault,
        egress: this.providerEgress,
        engine: this.engine,
        catalog,
        accounts,
        providerApps,
        http,
        logger: this.logger,
        publicUrl: this.publicUrl,
        timeoutMs,
        jobTimeoutMs: options.providerJobTimeoutMs ?? 30_000,
        // Unified calls resolve API mapping overrides like webhooks do: the store's watch keeps every replica current.
        overrides,
        sandbox: this.sandbox,
      });
    });
  }

  /** Connects to NATS and bootstraps every stream and bucket; everything else opens on first use. */
  static async open(options: RuntimeOptions): Promise<Runtime> {
    const bus = await connectBus({
      servers: options.natsUrl,
      name: options.name,
      ...(options.natsAuth ? { auth: options.natsAuth } : {}),
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
    await this.sandbox.close();
    await this.bus.close();
    await (await this.#providerHttp.peek())?.close();
  }
}
