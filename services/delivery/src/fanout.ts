import type { JsMsg } from '@nats-io/jetstream';
import { recordOrderKey, rootSubject, SwitchyardError } from '@switchyard/contracts';
import { describeConsumed, enqueueDelivery, leaseOwner, readTrace, runConsumer, startShardLeases, STREAMS, terminate } from '@switchyard/bus';
import { KeyedSequencer, sha256Hex, type Closeable, type Ticket, type TraceContext, type TraceSpan } from '@switchyard/kernel';
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
 *
 * Two consumers: `delivery-fanout`, shared by every delivery process, for subscriptions without order,
 * and `delivery-fanout-ordered` for `ordering: "record"` subscriptions (docs/ordering.md), worked by one
 * process at a time (a lease) so events of one record become tasks in EVENTS order: each event takes a
 * ticket as it arrives and waits only for earlier events of its own record. Its tasks carry the record's
 * key (a hash) and the event's `sequence` for the worker's per-record queues.
 *
 * Tracing (on): each event is one `fanout` consumer span under the event's trace context, whatever the
 * number of subscriptions, and its tasks carry that span's context (off: the event's traceparent).
 */
export async function startFanout(ctx: DeliveryParts, options: { concurrency: number; publishTimeoutMs: number; leaseTtlMs?: number; leaseTickMs?: number }): Promise<Closeable> {
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

  /** Tasks for one event: the unordered subscriptions, or (`ticket` given) the ordered ones in record order. */
  const handle = (message: JsMsg, ticket?: Ticket): Promise<void> => {
    const parent = readTrace(message.headers);
    const span = ctx.tracer.start('fanout', 'consumer', parent);
    // Off (or not sampled) there is nothing to end: no wrapper around the work.
    return span.recording ? traced(message, ticket, span) : fanOut(message, ticket, span, span.context ?? parent);
  };

  const traced = async (message: JsMsg, ticket: Ticket | undefined, span: TraceSpan) => {
    try {
      await fanOut(message, ticket, span, span.context);
    } catch (error) {
      span.fail(error instanceof SwitchyardError ? error.code : 'error');
      throw error;
    } finally {
      span.end();
    }
  };

  const fanOut = async (message: JsMsg, ticket: Ticket | undefined, span: TraceSpan, trace: TraceContext | undefined) => {
    let envelope: { id?: unknown; type?: unknown; environment_id?: unknown; integrated_account_id?: unknown; category?: unknown; resource?: unknown; record_id?: unknown; sequence?: unknown };
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
    const ordered = ticket !== undefined;
    if (span.recording) {
      describeConsumed(span, message.subject);
      span.set('messaging.message.id', id);
      span.set('switchyard.event_type', type);
      span.set('switchyard.environment_id', environmentId);
      span.set('switchyard.ordered', ordered);
    }
    // A record event has a record to order by; operational events (and events from before `sequence`) have none.
    const order =
      ordered && typeof envelope.record_id === 'string' && typeof envelope.sequence === 'number'
        ? { record: sha256Hex(recordOrderKey(envelope as Parameters<typeof recordOrderKey>[0])).slice(0, 32), sequence: envelope.sequence }
        : undefined;
    if (ticket) await ticket.keys(order ? [order.record] : []);
    // Disabled subscriptions included: their tasks become dead letters that recover can bring back.
    // Filters first (they may throw BUSY, which retries the whole event — in place when ordered, so no
    // later event of the record overtakes it), then every task published at once, a window at a time,
    // and the event acked only when all are stored: an event fanned out to 10 000 endpoints costs 10 000
    // pipelined publishes, not 10 000 round trips.
    const targets: SubscriptionRecord[] = [];
    for (const subscription of subscriptions.subscribed(environmentId, type)) {
      if ((subscription.ordering === 'record') !== ordered) continue;
      for (;;) {
        try {
          if (!subscription.filter || (await passes(subscription, subscription.filter, envelope))) targets.push(subscription);
          break;
        } catch (error) {
          if (!ordered) throw error;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    }
    span.set('switchyard.subscriptions', targets.length);
    for (let i = 0; i < targets.length; i += PUBLISH_WINDOW) {
      await Promise.all(
        targets.slice(i, i + PUBLISH_WINDOW).map((subscription) =>
          enqueueDelivery(ctx.bus, { subscriptionId: subscription.id, eventId: id, eventType: type, taskId: 'o', eventSeq: message.seq, order, body: message.data, trace }, options.publishTimeoutMs),
        ),
      );
    }
    message.ack();
  };

  const unordered = await runConsumer(ctx.bus, {
    stream: STREAMS.EVENTS,
    durable: 'delivery-fanout',
    filterSubject: rootSubject('events'),
    concurrency: options.concurrency,
    logger: ctx.logger,
    handle: (message) => handle(message),
  });

  let ordered: Closeable | undefined;
  const sequencer = new KeyedSequencer();
  const leases = await startShardLeases({
    kv: ctx.bus.kv.locks,
    name: 'fanout-ordered',
    owner: leaseOwner(),
    shards: 1,
    ttlMs: options.leaseTtlMs ?? 6_000,
    tickMs: options.leaseTickMs ?? 2_000,
    logger: ctx.logger,
    start: async () => {
      ordered = await runConsumer(ctx.bus, {
        stream: STREAMS.EVENTS,
        durable: 'delivery-fanout-ordered',
        filterSubject: rootSubject('events'),
        concurrency: options.concurrency,
        resumeInOrder: true,
        logger: ctx.logger,
        handle: (message) => {
          // An environment without ordered subscriptions costs an ack, not a parse.
          const environment = message.subject.split('.')[1] ?? '';
          if (!subscriptions.hasOrdered(environment)) {
            message.ack();
            return Promise.resolve();
          }
          const ticket = sequencer.ticket();
          return handle(message, ticket).finally(() => ticket.done());
        },
      });
    },
    stop: async () => {
      const running = ordered;
      ordered = undefined;
      await running?.close();
    },
  });

  return {
    close: async () => {
      await leases.close();
      await unordered.close();
    },
  };
}
