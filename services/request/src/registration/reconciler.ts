import { startLeasedLoop, type Bus } from '@switchyard/bus';
import { randomId, type Closeable, type Logger, type Metrics } from '@switchyard/kernel';
import type { Registrar } from './registrar.js';
import type { RegistrationStore } from './store.js';

/** The lease key of the one reconciler that runs at a time, cluster-wide. */
export const RECONCILER_LEASE = 'registration-reconciler';

/**
 * Keeps every registration alive: each tick, the replica holding the cluster-wide lease (the `locks`
 * bucket) reconciles the records that are due — creates what failed, waits for verification tokens,
 * renews ahead of expiry, reads back and repairs what the provider deleted. State lives in KV only, so
 * a restarted or different replica carries on where the last one stopped; at most one replica works
 * a tick, and each account's own lock keeps the API from racing it.
 */
export function startReconciler(parts: { bus: Bus; logger: Logger; store: RegistrationStore; registrar: Registrar; metrics?: Metrics | undefined }, options: { intervalMs: number; leaseMs: number }): Closeable {
  return startLeasedLoop({
    kv: parts.bus.kv.locks,
    lease: RECONCILER_LEASE,
    owner: randomId('reconciler'),
    leaseMs: options.leaseMs,
    everyMs: options.intervalMs,
    logger: parts.logger,
    always: () => parts.metrics && countStates(parts.metrics, parts.store),
    round: async (stopped) => {
      for (const record of parts.store.due(Date.now())) {
        if (stopped()) break;
        await parts.registrar.reconcile(record.account_id).catch((error: unknown) => parts.logger.error({ err: error, account: record.account_id }, 'registration reconcile failed'));
      }
    },
  });
}

/** Sets the registrations gauge from this replica's mirror of the cluster-wide bucket. */
function countStates(metrics: Metrics, store: RegistrationStore): void {
  metrics.registrations.reset();
  for (const record of store.all()) metrics.registrations.inc({ provider: record.provider, state: record.state });
}
