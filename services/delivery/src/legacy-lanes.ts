import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { deliveryRetrySubject, deliverySubject, LEGACY_DELIVERY_FILTERS, parseDeliverySubject } from '@switchyard/contracts';
import { publishDurable, STREAMS } from '@switchyard/bus';
import type { DeliveryParts } from './parts.js';

/** Consumers of the per-subscription layout: `delivery-worker` (v0), then `dlv_<sub>` and `dlr_<sub>`. */
const isLegacyConsumer = (name: string) => name === 'delivery-worker' || name.startsWith('dlv_') || name.startsWith('dlr_');

/**
 * Upgrade from the per-subscription lanes (`deliveries.<sub>`, `deliveries.<sub>.retry`, two consumers per
 * subscription) to the sharded ones. Their consumers are deleted (a work-queue stream allows no
 * overlapping consumers, and they would otherwise stay forever), then every task still queued there is
 * moved to its subscription's current lane with its headers (retry count, due time), each acked only
 * after its copy is stored, so a crash in the middle moves the rest at the next start. Runs at every
 * start and costs one stream-info call when there is nothing to move. Stop the older delivery processes
 * before starting this version: one still running would keep filling the old lanes.
 */
export async function migrateLegacyLanes(ctx: DeliveryParts): Promise<void> {
  const { jsm, js } = ctx.bus;
  for await (const info of jsm.consumers.list(STREAMS.DELIVERIES)) {
    if (isLegacyConsumer(info.name)) await jsm.consumers.delete(STREAMS.DELIVERIES, info.name).catch(() => undefined);
  }
  for (const [lane, filter] of [['tasks', LEGACY_DELIVERY_FILTERS.tasks], ['retries', LEGACY_DELIVERY_FILTERS.retries]] as const) {
    const info = await jsm.streams.info(STREAMS.DELIVERIES, { subjects_filter: filter });
    const queued = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    if (queued === 0) continue;
    const durable = `dq_legacy_${lane}`;
    await jsm.consumers.add(STREAMS.DELIVERIES, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: filter });
    const consumer = await js.consumers.get(STREAMS.DELIVERIES, durable);
    let moved = 0;
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 256, expires: 1_000 });
      let seen = 0;
      for await (const message of batch) {
        seen++;
        const subscription = parseDeliverySubject(message.subject);
        if (!subscription) {
          await message.ackAck(); // not a task subject: nothing could ever deliver it
          continue;
        }
        const h = natsHeaders();
        for (const [name, values] of message.headers ?? []) for (const value of values) h.append(name, value);
        const subject = lane === 'tasks' ? deliverySubject(subscription) : deliveryRetrySubject(subscription);
        // A message id of its own: the task's original id is still inside the duplicate window.
        await publishDurable(js, subject, message.data, { msgID: `legacy:${message.seq}`, headers: h }, 10_000);
        await message.ackAck(); // confirmed before the consumer goes, or the task would stay behind
        moved++;
      }
      if (seen === 0 && (await consumer.info()).num_pending === 0) break;
    }
    await jsm.consumers.delete(STREAMS.DELIVERIES, durable).catch(() => undefined);
    ctx.logger.info({ lane, moved }, 'delivery tasks moved from the per-subscription lanes to the sharded lanes');
  }
}
