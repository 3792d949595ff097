import type { Closeable } from '@switchyard/kernel';
import type { PollingConfig } from '../config.js';
import type { RequestParts } from '../parts.js';
import { startPoller } from './poller.js';
import { PollStore } from './store.js';

export { PollStore, type PollRecord } from './store.js';
export { pairsOf, type PairKind } from './poller.js';

/**
 * Opens polling for the request service (docs/polling.md): the `polls` store and the cluster-wide
 * poller. `close()` stops the poller (a run in progress finishes) and the store's watch.
 */
export async function openPolling(ctx: RequestParts, config: PollingConfig, publishTimeoutMs: number): Promise<Closeable & { store: PollStore }> {
  const store = await PollStore.open(ctx.bus, ctx.logger);
  const poller = startPoller(
    { bus: ctx.bus, logger: ctx.logger, engine: ctx.engine, catalog: ctx.catalog, accounts: ctx.accounts, calls: ctx.client.registration, unified: ctx.client.unified, store, metrics: ctx.metrics, tracer: ctx.tracer },
    {
      tickMs: config.SWITCHYARD_POLL_TICK_MS,
      intervalMs: config.SWITCHYARD_POLL_INTERVAL_MS,
      backoffBaseMs: config.SWITCHYARD_POLL_BACKOFF_MS,
      backoffMaxMs: config.SWITCHYARD_POLL_BACKOFF_MAX_MS,
      leaseMs: config.SWITCHYARD_POLL_LEASE_MS,
      lockMs: config.SWITCHYARD_POLL_LOCK_MS,
      publishTimeoutMs,
    },
  );
  return {
    store,
    close: async () => {
      await poller.close();
      store.stop();
    },
  };
}
