import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import { DEAD_HEADERS, publishDurable, runConsumer, STREAMS, TASK_HEADERS, type Closeable, type RuntimeContext } from '@switchyard/runtime';
import type { Sender } from './sender.js';
import { signatureHeader } from './signer.js';

/** Worker tuning, from the delivery configuration. */
export interface DeliveryWorkerOptions {
  concurrency: number;
  timeoutMs: number;
  /** Delay before each retry, in ms; its length is the number of retries after the first attempt. */
  scheduleMs: readonly number[];
  publishTimeoutMs: number;
  userAgent: string;
}

/** One attempt as recorded in ATTEMPTS: no request body, no headers, no secrets. */
export interface AttemptRecord {
  event_id: string;
  subscription_id: string;
  attempt: number;
  status: number;
  outcome: 'delivered' | 'failed' | 'dead';
  latency_ms: number;
  error_class: string | null;
  next_attempt_in_ms: number | null;
  at: string;
}

/**
 * DELIVERIES → customer endpoints. Each attempt is signed afresh (Standard Webhooks v1, attempt
 * timestamp, the subscription's active secrets), POSTed with a timeout, and recorded in ATTEMPTS.
 * 2xx acks; anything else naks with the schedule's delay — the retry lives in JetStream, not in a timer,
 * so a killed worker loses nothing. After the last scheduled retry the task goes to DEAD.
 */
export async function startDeliveryWorker(ctx: RuntimeContext, sender: Sender, options: DeliveryWorkerOptions): Promise<Closeable> {
  const subscriptions = await ctx.subscriptions();

  const record = async (attempt: AttemptRecord) => {
    const h = natsHeaders();
    h.set(TASK_HEADERS.outcome, attempt.outcome);
    await publishDurable(
      ctx.bus.js,
      `attempts.${attempt.subscription_id}.${attempt.event_id}`,
      JSON.stringify(attempt),
      { msgID: `${attempt.event_id}:${attempt.subscription_id}:${attempt.attempt}`, headers: h },
      options.publishTimeoutMs,
    );
  };

  const handle = async (message: JsMsg) => {
    const eventId = message.headers?.get(TASK_HEADERS.eventId) ?? '';
    const subscriptionId = message.headers?.get(TASK_HEADERS.subscription) ?? '';
    const subscription = await subscriptions.get(subscriptionId);
    if (!subscription) {
      ctx.logger.info({ subscription: subscriptionId, event: eventId }, 'subscription deleted; task dropped');
      message.term('subscription deleted');
      return;
    }
    const attempt = message.info.deliveryCount;
    const timestamp = Math.floor(Date.now() / 1000);
    const result = await sender.post(
      subscription.url,
      {
        'content-type': 'application/json',
        'user-agent': options.userAgent,
        'webhook-id': eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(subscriptions.secrets(subscription), eventId, timestamp, message.data),
      },
      message.data,
    );
    const delivered = result.status >= 200 && result.status < 300;
    const retryIndex = attempt - 1;
    const scheduled = options.scheduleMs[retryIndex];
    const exhausted = !delivered && scheduled === undefined;
    // Retry-After is honoured when it asks for more time than the schedule, never less.
    const delay = scheduled === undefined ? null : Math.max(scheduled, result.retryAfterMs ?? 0);
    const outcome = delivered ? 'delivered' : exhausted ? 'dead' : 'failed';
    ctx.metrics.deliveries.inc({ outcome });
    ctx.metrics.deliveryLatency.observe(result.latencyMs / 1000);
    await record({
      event_id: eventId,
      subscription_id: subscription.id,
      attempt,
      status: result.status,
      outcome,
      latency_ms: Math.round(result.latencyMs),
      error_class: result.errorClass ?? null,
      next_attempt_in_ms: delivered || exhausted ? null : delay,
      at: new Date().toISOString(),
    });
    if (delivered) {
      message.ack();
      return;
    }
    ctx.logger.info({ subscription: subscription.id, event: eventId, attempt, status: result.status, error: result.errorClass }, 'delivery attempt failed');
    if (!exhausted) {
      message.nak(delay ?? 0);
      return;
    }
    const h = natsHeaders();
    h.set(DEAD_HEADERS.stage, 'delivery');
    h.set(DEAD_HEADERS.code, 'SWY_ERR_DELIVERY_EXHAUSTED');
    h.set(DEAD_HEADERS.message, `${attempt} attempts failed; last status ${result.status}${result.errorClass ? ` (${result.errorClass})` : ''}`);
    h.set(TASK_HEADERS.eventId, eventId);
    h.set(TASK_HEADERS.subscription, subscription.id);
    await publishDurable(ctx.bus.js, `dead.delivery.${subscription.id}`, message.data, { msgID: `delivery:${eventId}:${subscription.id}`, headers: h }, options.publishTimeoutMs);
    message.term('attempts exhausted');
  };

  return runConsumer(ctx.bus, {
    stream: STREAMS.DELIVERIES,
    durable: 'delivery-worker',
    filterSubject: 'deliveries.>',
    concurrency: options.concurrency,
    logger: ctx.logger,
    handle,
  });
}
