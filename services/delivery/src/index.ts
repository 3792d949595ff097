import { closeAll, type Closeable, type RuntimeContext } from '@switchyard/runtime';
import { startFanout } from './fanout.js';
import { Sender } from './sender.js';
import { startDeliveryWorker, type DeliveryWorkerOptions } from './worker.js';

export { signatureHeader } from './signer.js';
export { Sender, type AttemptResult } from './sender.js';
export type { AttemptRecord, DeliveryWorkerOptions } from './worker.js';

/**
 * Starts fan-out (EVENTS → DELIVERIES) and the delivery worker (DELIVERIES → endpoints) in this
 * process. Both are durable consumers: any number of processes share the work.
 */
export async function startDelivery(ctx: RuntimeContext, options: DeliveryWorkerOptions): Promise<Closeable> {
  const sender = new Sender(ctx.egress, { timeoutMs: options.timeoutMs });
  const fanout = await startFanout(ctx, { concurrency: options.concurrency, publishTimeoutMs: options.publishTimeoutMs });
  const worker = await startDeliveryWorker(ctx, sender, options);
  return { close: () => closeAll([{ close: () => sender.close() }, fanout, worker]) };
}
