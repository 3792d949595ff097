import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import { publishDurable, runConsumer, STREAMS, TASK_HEADERS, type Closeable, type RuntimeContext } from '@switchyard/runtime';

/**
 * EVENTS → DELIVERIES: one task per (event, matching enabled subscription) on
 * `deliveries.<subscription>`, with message id `<event>:<subscription>` so a re-run creates nothing twice.
 * The task carries the envelope bytes, so the worker needs no second read.
 */
export async function startFanout(ctx: RuntimeContext, options: { concurrency: number; publishTimeoutMs: number }): Promise<Closeable> {
  const subscriptions = await ctx.subscriptions();
  const handle = async (message: JsMsg) => {
    let envelope: { id?: unknown; type?: unknown; environment_id?: unknown };
    try {
      envelope = JSON.parse(new TextDecoder().decode(message.data));
    } catch {
      // Only the normalizer publishes here and it publishes JSON; anything else is not ours to deliver.
      ctx.logger.error({ seq: message.seq, subject: message.subject }, 'unreadable event skipped by fan-out');
      message.term('unreadable event');
      return;
    }
    if (typeof envelope.id !== 'string' || typeof envelope.type !== 'string' || typeof envelope.environment_id !== 'string') {
      message.term('not an event envelope');
      return;
    }
    for (const subscription of subscriptions.matching(envelope.environment_id, envelope.type)) {
      const h = natsHeaders();
      h.set(TASK_HEADERS.eventId, envelope.id);
      h.set(TASK_HEADERS.subscription, subscription.id);
      h.set(TASK_HEADERS.eventType, envelope.type);
      await publishDurable(ctx.bus.js, `deliveries.${subscription.id}`, message.data, { msgID: `${envelope.id}:${subscription.id}`, headers: h }, options.publishTimeoutMs);
    }
    message.ack();
  };
  return runConsumer(ctx.bus, {
    stream: STREAMS.EVENTS,
    durable: 'delivery-fanout',
    filterSubject: 'events.>',
    concurrency: options.concurrency,
    logger: ctx.logger,
    handle,
  });
}
