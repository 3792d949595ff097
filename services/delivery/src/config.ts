import { z } from 'zod';

/** Delivery tuning. */
export const DeliveryEnv = z.object({
  /** Per-attempt timeout in ms. */
  SWITCHYARD_DELIVERY_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000), // 15 s
  /**
   * Delays before each retry, in ms, comma-separated. Default (Svix's): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
   * The first attempt is immediate; after the last delay's attempt fails the task is dead-lettered.
   */
  SWITCHYARD_DELIVERY_SCHEDULE_MS: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.split(',').map((s) => Number(s.trim())) : undefined),
    z.array(z.number().int().nonnegative()).min(1).default([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]),
  ),
  /** Deliveries in flight at once per process. */
  SWITCHYARD_DELIVERY_CONCURRENCY: z.coerce.number().int().positive().default(64),
  /** Deliveries in flight at once to one endpoint, across every delivery process (its consumer's max_ack_pending). */
  SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** Random spread applied to each retry delay (0.1 = ±10 %), so failing endpoints are not hit in lockstep. */
  SWITCHYARD_DELIVERY_JITTER: z.coerce.number().min(0).max(1).default(0.1),
  /** An endpoint failing continuously for this long is disabled, in ms (default 5 days). */
  SWITCHYARD_DELIVERY_DISABLE_AFTER_MS: z.coerce.number().int().positive().default(432_000_000),
  /**
   * New tasks one process holds per delivery shard, over all of the shard's endpoints (there are 32
   * shards; a shard is worked by one process at a time).
   */
  SWITCHYARD_DELIVERY_SHARD_WINDOW: z.coerce.number().int().positive().default(256),
  /** A task waiting longer than this behind its endpoint's in-flight cap steps aside into the retry lane, in ms. */
  SWITCHYARD_DELIVERY_MAX_WAIT_MS: z.coerce.number().int().positive().default(2_000),
  /** How often held deliveries of a paused endpoint check whether it was resumed, in ms. */
  SWITCHYARD_DELIVERY_PAUSE_RECHECK_MS: z.coerce.number().int().positive().default(5_000),
});
