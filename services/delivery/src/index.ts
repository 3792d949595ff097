import { closeAll, type Closeable } from '@switchyard/kernel';
import type { DeliveryParts } from './parts.js';
import { startFanout } from './fanout.js';
import { Sender } from './sender.js';
import { startDeliveryWorker, type DeliveryWorkerOptions } from './worker.js';

export { DeliveryEnv } from './config.js';
export { deliveryParts, type DeliveryParts } from './parts.js';
export { signatureHeader } from './signer.js';
export { Sender, type AttemptResult } from './sender.js';
export { decide, type Decision, type RetryPolicy } from './retry-policy.js';
export type { DeliveryWorkerOptions } from './worker.js';

/**
 * Starts fan-out (EVENTS → DELIVERIES) and the delivery worker (DELIVERIES → endpoints) in this
 * process. Any number of processes share the work: fan-out through one durable consumer, delivery by
 * holding an equal share of the 32 delivery shards.
 */
export async function startDelivery(ctx: DeliveryParts, options: DeliveryWorkerOptions): Promise<Closeable> {
  const sender = new Sender(ctx.egress, { timeoutMs: options.timeoutMs });
  const fanout = await startFanout(ctx, { concurrency: options.concurrency, publishTimeoutMs: options.publishTimeoutMs });
  const worker = await startDeliveryWorker(ctx, sender, options);
  return { close: () => closeAll([{ close: () => sender.close() }, fanout, worker]) };
}

/** The worker options from a parsed DeliveryEnv (shared by the standalone service and the hub). */
export function deliveryOptionsFrom(config: {
  SWITCHYARD_DELIVERY_CONCURRENCY: number;
  SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY: number;
  SWITCHYARD_DELIVERY_TIMEOUT_MS: number;
  SWITCHYARD_DELIVERY_SCHEDULE_MS: number[];
  SWITCHYARD_DELIVERY_JITTER: number;
  SWITCHYARD_DELIVERY_DISABLE_AFTER_MS: number;
  SWITCHYARD_DELIVERY_PAUSE_RECHECK_MS: number;
  SWITCHYARD_DELIVERY_SHARD_WINDOW: number;
  SWITCHYARD_DELIVERY_MAX_WAIT_MS: number;
  SWITCHYARD_PUBLISH_TIMEOUT_MS: number;
}): DeliveryWorkerOptions {
  return {
    concurrency: config.SWITCHYARD_DELIVERY_CONCURRENCY,
    endpointConcurrency: config.SWITCHYARD_DELIVERY_ENDPOINT_CONCURRENCY,
    timeoutMs: config.SWITCHYARD_DELIVERY_TIMEOUT_MS,
    scheduleMs: config.SWITCHYARD_DELIVERY_SCHEDULE_MS,
    jitter: config.SWITCHYARD_DELIVERY_JITTER,
    disableAfterMs: config.SWITCHYARD_DELIVERY_DISABLE_AFTER_MS,
    pauseRecheckMs: config.SWITCHYARD_DELIVERY_PAUSE_RECHECK_MS,
    publishTimeoutMs: config.SWITCHYARD_PUBLISH_TIMEOUT_MS,
    userAgent: 'Switchyard-Webhooks/0.1',
    lanes: { window: config.SWITCHYARD_DELIVERY_SHARD_WINDOW, maxWaitMs: config.SWITCHYARD_DELIVERY_MAX_WAIT_MS },
  };
}
