import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from './bus.js';
import type { Closeable, Logger } from '@switchyard/kernel';

/** Options for {@link runConsumer}. */
export interface ConsumerOptions {
  stream: string;
  /** Durable name: every process with the same name shares the work. */
  durable: string;
  filterSubject: string;
  /** Messages handled at once by this process. */
  concurrency: number;
  /**
   * How long a message may stay un-acked before JetStream redelivers it, in ms (default 10 s). While a
   * handler runs, progress is reported every third of it, so slow work is never redelivered
   * underneath itself, and a crashed or stopped process's messages come back within this time.
   */
  ackWaitMs?: number;
  /** Redeliveries cap; -1 for unlimited (the handler decides when to give up). */
  maxDeliver?: number;
  /**
   * Messages handed out and not yet acked, across every process sharing the consumer (default: four
   * times `concurrency`, at least 1000). A per-endpoint consumer sets it to the endpoint's cap.
   */
  maxAckPending?: number;
  logger: Logger;
  /**
   * Handles one message and must ack, nak or term it. A throw is logged and the message is nak'ed
   * with `retryDelayMs`, so an unexpected failure delays work instead of losing it.
   */
  handle(message: JsMsg): Promise<void>;
  retryDelayMs?: number;
}

/**
 * Creates (or updates) a durable pull consumer and processes its messages with bounded concurrency.
 * Acks are explicit: a process killed mid-message loses nothing, JetStream redelivers after `ackWaitMs`.
 * `close()` stops pulling, waits for in-flight messages, and returns.
 */
export async function runConsumer(bus: Bus, options: ConsumerOptions): Promise<Closeable> {
  const ackWaitMs = options.ackWaitMs ?? 10_000;
  const config: Partial<ConsumerConfig> = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: options.filterSubject,
    ack_wait: nanos(ackWaitMs),
    max_deliver: options.maxDeliver ?? -1,
    max_ack_pending: options.maxAckPending ?? Math.max(1_000, options.concurrency * 4),
  };
  try {
    await bus.jsm.consumers.info(options.stream, options.durable);
    const { durable_name: _d, deliver_policy: _p, ...mutable } = config;
    await bus.jsm.consumers.update(options.stream, options.durable, mutable);
  } catch {
    await bus.jsm.consumers.add(options.stream, config);
  }
  const consumer = await bus.js.consumers.get(options.stream, options.durable);
  const messages = await consumer.consume({ max_messages: options.concurrency });
  const inflight = new Set<Promise<void>>();

  const handleOne = async (message: JsMsg) => {
    const heartbeat = setInterval(() => message.working(), ackWaitMs / 3);
    try {
      await options.handle(message);
    } catch (error) {
      options.logger.error({ err: error, stream: options.stream, seq: message.seq }, 'message handler failed; will retry');
      message.nak(options.retryDelayMs ?? 1_000);
    } finally {
      clearInterval(heartbeat);
    }
  };

  let stopping = false;
  const loop = (async () => {
    for await (const message of messages) {
      // Pulled but not started when closing began: hand it back now rather than after ack_wait.
      if (stopping) {
        message.nak();
        continue;
      }
      while (inflight.size >= options.concurrency) await Promise.race(inflight);
      const task = handleOne(message).finally(() => inflight.delete(task));
      inflight.add(task);
    }
  })().catch((error: unknown) => options.logger.error({ err: error, consumer: options.durable }, 'consumer loop ended'));

  return {
    close: async () => {
      stopping = true;
      messages.stop();
      await loop;
      await Promise.allSettled([...inflight]);
    },
  };
}

/**
 * Ends a message for good: JetStream will not redeliver it. Always a bare `+TERM`: nats.js sends
 * `term(reason)` as `+TERM <reason>`, which nats-server before 2.10 does not recognise and ignores, so
 * the message came back every ack_wait forever (an exhausted delivery task hammered its endpoint and
 * held its slot). `reason` is for the caller's log line; the server never sees it.
 */
export function terminate(message: JsMsg, _reason: string): void {
  message.term();
}
