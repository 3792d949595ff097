import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry and the metrics every service records. One registry per
 * process: in the embedded default all services share it, so `/metrics` shows everything.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Webhooks at the edge, by provider and outcome (accepted, duplicate, bad_signature, …). */
  readonly webhooks = new Counter({
    name: 'switchyard_webhooks_total',
    help: 'Inbound webhooks by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Normalization results, by provider and outcome (published, dead). */
  readonly normalized = new Counter({
    name: 'switchyard_normalized_total',
    help: 'Raw deliveries normalized, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Delivery attempts, by outcome (delivered, failed, dead). */
  readonly deliveries = new Counter({
    name: 'switchyard_delivery_attempts_total',
    help: 'Delivery attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /** Delivery attempt latency in seconds. */
  readonly deliveryLatency = new Histogram({
    name: 'switchyard_delivery_attempt_seconds',
    help: 'Delivery attempt latency',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [this.registry],
  });

  /** Tasks that stepped aside into the retry lane without an attempt (their endpoint was slow or backlogged). */
  readonly deliveryDeferrals = new Counter({
    name: 'switchyard_delivery_deferrals_total',
    help: 'Delivery tasks deferred to the retry lane because their endpoint was backlogged',
    registers: [this.registry],
  });

  /** Delivery shards this process holds (each one process at a time, cluster-wide). */
  readonly deliveryShardsHeld = new Gauge({
    name: 'switchyard_delivery_shards_held',
    help: 'Delivery shards held by this process',
    registers: [this.registry],
  });

  /**
   * The hub's webhooks at providers, by provider and registration state (registered, pending_verification,
   * expiring, failed, manual): set by the request service from the cluster-wide registrations bucket, so
   * every replica reports the same numbers and an `expiring` or `failed` one shows long before it lapses.
   */
  readonly registrations = new Gauge({
    name: 'switchyard_webhook_registrations',
    help: 'Webhook registrations at providers, by provider and state',
    labelNames: ['provider', 'state'] as const,
    registers: [this.registry],
  });

  /** Events a poll published to RAW, by provider and resource (docs/polling.md). */
  readonly polledEvents = new Counter({
    name: 'switchyard_poll_events_total',
    help: 'Events published to RAW by polls, by provider and resource',
    labelNames: ['provider', 'resource'] as const,
    registers: [this.registry],
  });

  /** Failed poll runs, by provider and SWY_ERR_* code: the cursor and the queue were left as they were. */
  readonly pollErrors = new Counter({
    name: 'switchyard_poll_errors_total',
    help: 'Failed poll runs, by provider and error code',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });

  /**
   * Changes a reconcile walk found that no webhook announced (docs/polling.md#reconciliation): each was
   * emitted as an event with `origin: reconcile`. A rising rate means the provider's webhooks went silent.
   */
  readonly reconcileMissed = new Counter({
    name: 'switchyard_reconcile_missed_total',
    help: 'Changes found by reconciliation that no webhook announced, by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  /**
   * The largest poll lag over a provider's accounts, in seconds: modified-since sources now minus the
   * cursor; queues 0 while their runs succeed, else the time since the failing run started. Set from the
   * cluster-wide `polls` bucket, so every replica reports the same.
   */
  readonly pollLag = new Gauge({
    name: 'switchyard_poll_lag_seconds',
    help: 'Largest poll lag over the accounts of a provider and resource, in seconds',
    labelNames: ['provider', 'resource'] as const,
    registers: [this.registry],
  });

  /** Records streamed by exports (`GET /unified/…?all=true`), by provider and resource. */
  readonly exportedRecords = new Counter({
    name: 'switchyard_export_records_total',
    help: 'Records streamed by unified exports, by provider and resource',
    labelNames: ['provider', 'resource'] as const,
    registers: [this.registry],
  });

  /** Wall time of an export call in seconds, by how it ended (done, error, limit, aborted). */
  readonly exportDuration = new Histogram({
    name: 'switchyard_export_seconds',
    help: 'Duration of unified export calls, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics === false) return;
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    // prom-client names three gauges `*_total`, a suffix Prometheus keeps for counters (`promtool check
    // metrics` rejects them): replaced by one gauge of the same facts, named as a gauge.
    for (const name of ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_requests', 'nodejs_active_requests_total', 'nodejs_active_resources', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`switchyard_${name}`);
    }
    new Gauge({
      name: 'switchyard_nodejs_active_resources',
      help: 'Resources keeping the event loop alive (handles, requests, timers), by type',
      labelNames: ['type'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
        for (const [type, count] of counts) this.set({ type }, count);
      },
    });
  }
}
