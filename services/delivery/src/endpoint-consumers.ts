import type { JsMsg } from '@nats-io/jetstream';
import { deliveryRetrySubject, deliverySubject, deliverySubjects } from '@switchyard/contracts';
import { runConsumer, STREAMS } from '@switchyard/bus';
import type { Closeable } from '@switchyard/kernel';
import type { DeliveryParts } from './parts.js';
import type { SubscriptionStore } from '@switchyard/stores';

/** The single consumer of earlier versions (filter `deliveries.>`); a work queue allows no overlap, so it goes. */
const LEGACY_CONSUMER = 'delivery-worker';
const consumerName = (subscriptionId: string) => `dlv_${subscriptionId}`;
const retryConsumerName = (subscriptionId: string) => `dlr_${subscriptionId}`;
/**
 * Tasks of one endpoint waiting for their retry that JetStream may hold pending at once. They wait on
 * a lane of their own (`deliveries.<subscription>.retry`) so they never count against the new-task
 * consumer's in-flight cap: a recovered endpoint gets new events at once while retries wait their turn.
 */
const RETRY_LANE_PENDING = 100_000;
/**
 * Consumers started at once. Each start is ~4 JetStream API calls; 5 000 subscriptions started together
 * (~20 000 calls) made a start-up call time out against an external server, so starts go in waves.
 */
const START_WAVE = 16;

/** Options for {@link startEndpointConsumers}. */
export interface EndpointConsumerOptions {
  /** Tasks in flight per endpoint across every delivery process (the consumer's `max_ack_pending`). */
  endpointConcurrency: number;
  /** How often subscriptions are compared with running consumers besides on every change, in ms (a safety net). */
  reconcileMs: number;
  handle(message: JsMsg): Promise<void>;
}

/**
 * One durable consumer per subscription on DELIVERIES (`deliveries.<subscription>`), kept in step
 * with the subscriptions: started for active and disabled ones (a disabled endpoint's tasks are
 * dead-lettered by the handler), stopped while paused (its tasks simply wait in the stream), deleted
 * with its remaining tasks when the subscription is deleted. JetStream enforces each endpoint's
 * in-flight cap through `max_ack_pending` across all processes, so a slow endpoint only ever holds its
 * own tasks and nothing is bounced back and forth.
 */
export async function startEndpointConsumers(ctx: DeliveryParts, subscriptions: SubscriptionStore, options: EndpointConsumerOptions): Promise<Closeable> {
  const { jsm } = ctx.bus;
  await jsm.consumers.delete(STREAMS.DELIVERIES, LEGACY_CONSUMER).catch(() => undefined);
  const running = new Map<string, Promise<Closeable>>();

  /** Two consumers per endpoint: new tasks (in-flight cap across processes) and the retry lane. */
  const start = async (subscriptionId: string): Promise<Closeable> => {
    const lanes = await Promise.all([
      runConsumer(ctx.bus, {
        stream: STREAMS.DELIVERIES,
        durable: consumerName(subscriptionId),
        filterSubject: deliverySubject(subscriptionId),
        concurrency: options.endpointConcurrency,
        maxAckPending: options.endpointConcurrency,
        logger: ctx.logger,
        handle: options.handle,
      }),
      runConsumer(ctx.bus, {
        stream: STREAMS.DELIVERIES,
        durable: retryConsumerName(subscriptionId),
        filterSubject: deliveryRetrySubject(subscriptionId),
        // Due retries are attempted at most this many at once per process; waiting ones hold nothing.
        concurrency: options.endpointConcurrency,
        maxAckPending: RETRY_LANE_PENDING,
        logger: ctx.logger,
        handle: options.handle,
      }),
    ]);
    return { close: async () => void (await Promise.all(lanes.map((lane) => lane.close()))) };
  };
  const stop = async (subscriptionId: string) => {
    const consumer = running.get(subscriptionId);
    running.delete(subscriptionId);
    await (await consumer?.catch(() => undefined))?.close();
  };
  /** A deleted subscription's consumer and undelivered tasks go with it. */
  const remove = async (subscriptionId: string) => {
    for (const name of [consumerName(subscriptionId), retryConsumerName(subscriptionId)]) await jsm.consumers.delete(STREAMS.DELIVERIES, name).catch(() => undefined);
    for (const filter of deliverySubjects(subscriptionId)) await jsm.streams.purge(STREAMS.DELIVERIES, { filter }).catch(() => undefined);
  };

  let closed = false;
  const reconcile = async (first: boolean) => {
    const current = new Map(subscriptions.all().map((s) => [s.id, s]));
    let wave: Array<Promise<unknown>> = [];
    for (const subscription of current.values()) {
      if (closed) break; // close() is waiting for this pass: start nothing more
      const wanted = subscription.status !== 'paused';
      if (wanted && !running.has(subscription.id)) {
        const consumer = start(subscription.id);
        running.set(subscription.id, consumer);
        consumer.catch((error: unknown) => {
          running.delete(subscription.id);
          ctx.logger.error({ err: error, subscription: subscription.id }, 'endpoint consumer failed to start; retrying');
        });
        wave.push(consumer.catch(() => undefined));
        if (wave.length >= START_WAVE) {
          await Promise.all(wave);
          wave = [];
        }
      } else if (!wanted && running.has(subscription.id)) {
        await stop(subscription.id);
      }
    }
    await Promise.all(wave);
    for (const id of [...running.keys()]) {
      if (!current.has(id)) {
        await stop(id);
        await remove(id);
      }
    }
    if (first && !closed) {
      // Subscriptions deleted while no delivery process ran left their consumers behind.
      for await (const info of jsm.consumers.list(STREAMS.DELIVERIES)) {
        const id = info.name.startsWith('dlv_') || info.name.startsWith('dlr_') ? info.name.slice(4) : undefined;
        if (id && !current.has(id)) await remove(id);
      }
    }
  };

  // One reconcile at a time; a change arriving meanwhile schedules exactly one more. The first runs in
  // the background: with thousands of subscriptions starting their consumers (in waves) takes seconds,
  // and webhook intake and the API must not wait for it.
  let busy: Promise<void> | undefined;
  let again = false;
  let first = true;
  const kick = () => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    const initial = first;
    first = false;
    busy = reconcile(initial)
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'endpoint consumer reconcile failed'))
      .finally(() => {
        busy = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  };
  kick();
  const unsubscribe = subscriptions.onChange(kick);
  const timer = setInterval(kick, options.reconcileMs);

  return {
    close: async () => {
      closed = true;
      unsubscribe();
      clearInterval(timer);
      await busy;
      await Promise.all([...running.keys()].map((id) => stop(id)));
    },
  };
}
