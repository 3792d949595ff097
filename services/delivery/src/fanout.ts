import type { JsMsg } from '@nats-io/jetstream';
import { rootSubject, SwitchyardError } from '@switchyard/contracts';
import { enqueueDelivery, runConsumer, STREAMS, terminate } from '@switchyard/bus';
import type { Closeable } from '@switchyard/kernel';
import type { DeliveryParts } from './parts.js';
import type { SubscriptionRecord } from '@switchyard/stores';

/** Task publishes of one event in flight at once. */
const PUBLISH_WINDOW = 512;

/**
 * EVENTS → DELIVERIES: one task per (event, matching subscription), the task carrying the envelope
 * bytes so the worker needs no second read. A subscription's JSONata `filter` runs over the envelope in
 * the tenant's sandbox, on the filter budget; a filter that fails or overruns delivers nothing and is
 * logged by code and ids only (JSONata's message can quote event data). A full sandbox queue retries
 * the event later rather than skip the subscription.
 */
export async function startFanout(ctx: DeliveryParts, options: { concurrency: number; publishTimeoutMs: number }): Promise<Closeable> {
  const { subscriptions } = ctx;

  /** Whether the event passes a subscription's filter (only called for subscriptions that have one). */
  const passes = async (subscription: SubscriptionRecord, filter: string, envelope: { id?: unknown }) => {
    try {
      const filters = ctx.sandbox.filters(subscription.environment_id);
      return Boolean(await filters.evaluate(`subscription ${subscription.id} filter`, filter, envelope));
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
    // Filters first (they may throw BUSY, which retries the whole event), then every task published at
    // once, a window at a time, and the event acked only when all are stored: an event fanned out to
    // 10 000 endpoints costs 10 000 pipelined publishes, not 10 000 round trips.
    const targets: SubscriptionRecord[] = [];
    for (const subscription of subscriptions.subscribed(environmentId, type)) if (!subscription.filter || (await passes(subscription, subscription.filter, envelope))) targets.push(subscription);
    for (let i = 0; i < targets.length; i += PUBLISH_WINDOW) {
      await Promise.all(
        targets.slice(i, i + PUBLISH_WINDOW).map((subscription) =>
          enqueueDelivery(ctx.bus, { subscriptionId: subscription.id, eventId: id, eventType: type, taskId: 'o', eventSeq: message.seq, body: message.data }, options.publishTimeoutMs),
        ),
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
