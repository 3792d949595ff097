import type { JsMsg } from '@nats-io/jetstream';
import { rootSubject, SwitchyardError } from '@switchyard/contracts';
import { enqueueDelivery, runConsumer, STREAMS, terminate } from '@switchyard/bus';
import type { Closeable } from '@switchyard/kernel';
import type { DeliveryParts } from './parts.js';
import type { SubscriptionRecord } from '@switchyard/stores';

/**
 * EVENTS → DELIVERIES: one task per (event, matching subscription), the task carrying the envelope
 * bytes so the worker needs no second read. A subscription's JSONata `filter` runs over the envelope in
 * the tenant's sandbox, on the filter budget; a filter that fails or overruns delivers nothing and is
 * logged by code and ids only (JSONata's message can quote event data). A full sandbox queue retries
 * the event later rather than skip the subscription.
 */
export async function startFanout(ctx: DeliveryParts, options: { concurrency: number; publishTimeoutMs: number }): Promise<Closeable> {
  const { subscriptions } = ctx;

  const passes = async (subscription: SubscriptionRecord, envelope: { id?: unknown }) => {
    if (!subscription.filter) return true;
    try {
      const filters = ctx.sandbox.filters(subscription.environment_id);
      return Boolean(await filters.evaluate(`subscription ${subscription.id} filter`, subscription.filter, envelope));
    } catch (error) {
      const code = error instanceof SwitchyardError ? error.code : 'SWY_ERR_MAPPING_FAILED';
      if (code === 'SWY_ERR_MAPPING_BUSY') throw error;
      ctx.logger.warn({ subscription: subscription.id, event: envelope.id, code }, 'subscription filter failed; event not delivered to it');
      return false;
    }
  };

  const handle = async (message: JsMsg) => {
    let envelope: { id?: unknown; type?: unknown; environment_id?: unknown };
    try {
      envelope = JSON.parse(new TextDecoder().decode(message.data));
    } catch {
      // Only the hub publishes here and it publishes JSON; anything else is not ours to deliver.
      ctx.logger.error({ seq: message.seq, subject: message.subject }, 'unreadable event skipped by fan-out');
      terminate(message, 'unreadable event');
      return;
    }
    const { id, type, environment_id: environmentId } = envelope;
    if (typeof id !== 'string' || typeof type !== 'string' || typeof environmentId !== 'string') {
      terminate(message, 'not an event envelope');
      return;
    }
    // Disabled subscriptions included: their tasks become dead letters that recover can bring back.
    for (const subscription of subscriptions.subscribed(environmentId, type)) {
      if (!(await passes(subscription, envelope))) continue;
      await enqueueDelivery(
        ctx.bus,
        { subscriptionId: subscription.id, eventId: id, eventType: type, taskId: 'o', eventSeq: message.seq, body: message.data },
        options.publishTimeoutMs,
      );
    }
    message.ack();
  };

  return runConsumer(ctx.bus, {
    stream: STREAMS.EVENTS,
    durable: 'delivery-fanout',
    filterSubject: rootSubject('events'),
    concurrency: options.concurrency,
    logger: ctx.logger,
    handle,
  });
}
