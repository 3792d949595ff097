import type { JsMsg } from '@nats-io/jetstream';
import { DELIVERY_SHARDS, deliveryShard, deliveryShardFilters, deliverySubjects } from '@switchyard/contracts';
import { deleteMatching, runConsumer, startShardLeases, STREAMS, leaseOwner } from '@switchyard/bus';
import type { Closeable } from '@switchyard/kernel';
import { EndpointGate } from './endpoint-gate.js';
import { migrateLegacyLanes } from './legacy-lanes.js';
import type { DeliveryParts } from './parts.js';
import { RecordOrder } from './record-order.js';
import type { LaneKind, ShardState } from './worker.js';

/** Lane tuning; the defaults suit production, tests shorten the lease times. */
export interface LaneTuning {
  /** New tasks one process holds per shard at once, over all of the shard's endpoints. */
  window: number;
  /** Due retries handled at once per shard. */
  retryWindow: number;
  /** A task waiting longer than this for its endpoint steps aside into the retry lane, in ms. */
  maxWaitMs: number;
  /** Shard lease lifetime and renewal period, in ms. */
  leaseTtlMs: number;
  leaseTickMs: number;
}

const DEFAULTS: LaneTuning = { window: 256, retryWindow: 64, maxWaitMs: 2_000, leaseTtlMs: 6_000, leaseTickMs: 2_000 };

/** Tasks of a shard's retry lane JetStream may hold pending (waiting for their time) at once. */
const RETRY_LANE_PENDING = 1_000_000;

/** Options for {@link startDeliveryLanes}. */
export interface DeliveryLaneOptions extends Partial<LaneTuning> {
  handle(message: JsMsg, shard: ShardState, lane: LaneKind): Promise<void>;
}

/**
 * The delivery lanes: DELIVERIES is cut into {@link DELIVERY_SHARDS} shards by subscription, each with two
 * durable consumers (new tasks, and the retry lane), so the consumer count is fixed whatever the number
 * of endpoints — 10 000 subscriptions cost 64 consumers, not 20 000. A shard is worked by one process at
 * a time (bus shard-leases.ts); inside it every endpoint's in-flight cap is kept by an {@link EndpointGate}.
 * Deleting a subscription purges its tasks; tasks of one deleted while no process ran are dropped when
 * they come up.
 */
export async function startDeliveryLanes(ctx: DeliveryParts, options: DeliveryLaneOptions): Promise<Closeable> {
  const { handle, ...overrides } = options;
  const tuning: LaneTuning = { ...DEFAULTS, ...overrides };
  await migrateLegacyLanes(ctx);

  const shards = new Map<number, Closeable>();
  const orders = new Map<number, RecordOrder>();
  const start = async (shard: number) => {
    const filters = deliveryShardFilters(shard);
    const gate = new EndpointGate({ maxWaitMs: tuning.maxWaitMs });
    // The records waiting at ordered subscriptions, as the last holder left them, before any task is taken.
    const order = await RecordOrder.load(ctx.bus.kv.delivery_order, shard, ctx.logger, async (id) => (await ctx.subscriptions.get(id)) !== undefined);
    const state: ShardState = { gate, order };
    orders.set(shard, order);
    const token = String(shard).padStart(2, '0');
    const started = await Promise.allSettled([
      runConsumer(ctx.bus, {
        stream: STREAMS.DELIVERIES,
        durable: `dq_${token}_tasks`,
        filterSubject: filters.tasks,
        concurrency: tuning.window,
        maxAckPending: tuning.window,
        // Ordered subscriptions' tasks must come in stream order, also after a holder died mid-flight.
        resumeInOrder: true,
        logger: ctx.logger,
        handle: (message) => handle(message, state, 'tasks'),
      }),
      runConsumer(ctx.bus, {
        stream: STREAMS.DELIVERIES,
        durable: `dq_${token}_retries`,
        filterSubject: filters.retries,
        concurrency: tuning.retryWindow,
        maxAckPending: RETRY_LANE_PENDING,
        // Retries, deferrals and paused tasks wait seconds anyway: slower failover, a fifth of the idle traffic.
        pullExpiresMs: 15_000,
        idleHeartbeatMs: 5_000,
        logger: ctx.logger,
        handle: (message) => handle(message, state, 'retries'),
      }),
    ]);
    const lanes = started.flatMap((lane) => (lane.status === 'fulfilled' ? [lane.value] : []));
    const failed = started.find((lane) => lane.status === 'rejected');
    if (failed) {
      // Neither lane may keep running when the shard is handed back for a failed start.
      await Promise.all(lanes.map((lane) => lane.close()));
      throw failed.reason;
    }
    shards.set(shard, {
      close: async () => {
        // Waiting tasks go back at once (the next holder takes them); attempts in flight finish here.
        gate.close();
        await Promise.all(lanes.map((lane) => lane.close()));
      },
    });
    ctx.metrics.deliveryShardsHeld.set(shards.size);
  };
  const stop = async (shard: number) => {
    const running = shards.get(shard);
    shards.delete(shard);
    orders.delete(shard);
    ctx.metrics.deliveryShardsHeld.set(shards.size);
    await running?.close();
  };

  const leases = await startShardLeases({
    kv: ctx.bus.kv.locks,
    name: 'delivery',
    owner: leaseOwner(),
    shards: DELIVERY_SHARDS,
    ttlMs: tuning.leaseTtlMs,
    tickMs: tuning.leaseTickMs,
    logger: ctx.logger,
    start,
    stop,
  });

  // A deleted subscription's waiting tasks go with it. The shard's holder deletes them (one process, not
  // every one); tasks of a shard held by nobody at that moment are dropped when they come up.
  const unsubscribe = ctx.subscriptions.onChange((id) => {
    if (ctx.subscriptions.cached(id) || !shards.has(deliveryShard(id))) return;
    void orders.get(deliveryShard(id))?.forget(id).catch((error: unknown) => ctx.logger.warn({ err: error, subscription: id }, 'deleted subscription’s record queues not removed; they go when its shard is next taken'));
    for (const filter of deliverySubjects(id)) {
      void deleteMatching(ctx.bus.jsm, STREAMS.DELIVERIES, filter).catch((error: unknown) => ctx.logger.warn({ err: error, subscription: id }, 'deleted subscription’s tasks not deleted; they are dropped when they come up'));
    }
  });

  return {
    close: async () => {
      unsubscribe();
      await leases.close();
    },
  };
}
