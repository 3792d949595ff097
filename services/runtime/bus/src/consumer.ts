import { AckPolicy, DeliverPolicy, RetentionPolicy, type ConsumerConfig, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from './bus.js';
import { watchConsumer } from './consumer-watch.js';
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
   * times `concurrency`, at least 1000). A delivery shard's task lane sets it to its window.
   */
  maxAckPending?: number;
  logger: Logger;
  /**
   * Handles one message and must ack, nak or term it. A throw is logged and the message is nak'ed
   * with `retryDelayMs`, so an unexpected failure delays work instead of losing it.
   */
  handle(message: JsMsg): Promise<void>;
  retryDelayMs?: number;
  /**
   * How quickly a pull parked on a lost leader is replaced: pulls expire after `pullExpiresMs` and the
   * server heartbeats an idle one every `idleHeartbeatMs` (defaults 5 s and 1 s). A consumer whose work
   * tolerates seconds of delay (a retry lane) can trade failover speed for less idle traffic.
   */
  pullExpiresMs?: number;
  idleHeartbeatMs?: number;
  /**
   * For a consumer worked by one process at a time (a lease) whose order matters: at start, if the
   * last holder left messages taken and not acked (it died), the consumer is re-created from its ack
   * floor so they come again in stream order, before anything newer. JetStream would otherwise hand out
   * newer messages at once and the orphaned ones only after `ackWaitMs`. Messages after the floor that
   * the last holder did ack come again too (at-least-once).
   */
  resumeInOrder?: boolean;
}

/** Pull requests expire after this and are renewed, in ms: a pull parked on a lost leader lasts no longer. */
const PULL_EXPIRES_MS = 5_000;
/**
 * The server heartbeats an idle pull this often, in ms; two missed and nats.js pulls again (nats.js
 * defaults: 30 s and 15 s, which left a consumer whose leader was killed silent for ~40 s).
 */
const IDLE_HEARTBEAT_MS = 1_000;
/** Waits between attempts to re-create a consumer that ended, in ms. */
const REOPEN_BACKOFF_MS = [250, 500, 1_000, 2_000, 5_000];

/**
 * Creates (or updates) a durable pull consumer and processes its messages with bounded concurrency.
 * Acks are explicit: a process killed mid-message loses nothing, JetStream redelivers after `ackWaitMs`.
 * Survives failover: short pulls with idle heartbeats, so a pull parked on a node that died is replaced
 * within seconds of a new leader; a consumer deleted underneath, or a message iterator that ends
 * abnormally, is re-created (with warnings naming stream, durable and event) instead of silently
 * stopping. `close()` stops pulling, waits for in-flight messages, and returns.
 */
export async function runConsumer(bus: Bus, options: ConsumerOptions): Promise<Closeable> {
  const ackWaitMs = options.ackWaitMs ?? 10_000;
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: options.filterSubject,
    ack_wait: nanos(ackWaitMs),
    max_deliver: options.maxDeliver ?? -1,
    max_ack_pending: options.maxAckPending ?? Math.max(1_000, options.concurrency * 4),
  };
  const where = { stream: options.stream, durable: options.durable };
  const open = async () => {
    await ensureConsumer(bus, options.stream, config);
    const consumer = await bus.js.consumers.get(options.stream, options.durable);
    // bind: after missed heartbeats nats.js re-pulls at once instead of first asking for consumer info,
    // which a leaderless consumer cannot answer (it then backed off for a whole `expires`); the
    // watch below asks instead, in the background, and re-creates a consumer that is really gone.
    return consumer.consume({
      max_messages: options.concurrency,
      expires: options.pullExpiresMs ?? PULL_EXPIRES_MS,
      idle_heartbeat: options.idleHeartbeatMs ?? IDLE_HEARTBEAT_MS,
      bind: true,
    });
  };
  const exists = async () => {
    try {
      await bus.jsm.consumers.info(options.stream, options.durable);
      return 'yes' as const;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/consumer not found/i.test(message)) return 'missing_consumer' as const;
      if (/stream not found/i.test(message)) return 'missing_stream' as const;
      return 'unknown' as const;
    }
  };

  if (options.resumeInOrder) await rewindOrphaned(bus, options.stream, options.durable, options.logger);
  let messages = await open();
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
  // A closed or draining connection (the process is shutting down) ends every iterator: not a fault.
  const ending = () => stopping || bus.nc.isClosed() || bus.nc.isDraining();
  const pause = interruptibleSleep();
  /** Handles messages until the iterator ends; resolves to why it ended, if not because of close(). */
  const drain = async (current: ConsumerMessages): Promise<Record<string, unknown> | undefined> => {
    let gone: string | undefined;
    const watch = watchConsumer(current, {
      ...where,
      logger: options.logger,
      exists,
      gone: (reason) => {
        gone = reason;
        current.stop();
      },
    });
    try {
      for await (const message of current) {
        watch.alive();
        // Pulled but not started when closing began: hand it back now rather than after ack_wait.
        if (stopping) {
          message.nak();
          continue;
        }
        while (inflight.size >= options.concurrency) await Promise.race(inflight);
        const task = handleOne(message).finally(() => inflight.delete(task));
        inflight.add(task);
      }
    } catch (error) {
      if (!stopping) return { consumer_event: 'iterator_failed', err: error };
    }
    if (stopping) return undefined;
    return gone ? { consumer_event: gone } : { consumer_event: 'iterator_ended' };
  };

  /** Re-creates the consumer and its iterator, backing off while JetStream cannot; undefined once closing. */
  const reopen = async (): Promise<ConsumerMessages | undefined> => {
    for (let attempt = 0; ; attempt++) {
      await pause.sleep(REOPEN_BACKOFF_MS[Math.min(attempt, REOPEN_BACKOFF_MS.length - 1)]!);
      if (ending()) return undefined;
      try {
        const reopened = await open();
        if (stopping) {
          // close() began while this was opening: it stopped the old iterator, so stop this one too.
          reopened.stop();
          return undefined;
        }
        options.logger.info({ ...where, consumer_event: 'recreated', attempts: attempt + 1 }, 'JetStream consumer re-created; pulling again');
        return reopened;
      } catch (error) {
        options.logger.warn({ ...where, consumer_event: 'recreate_failed', attempt: attempt + 1, err: error }, 'JetStream consumer could not be re-created yet; retrying');
      }
    }
  };

  const loop = (async () => {
    for (let current = messages; ; ) {
      const ended = await drain(current);
      if (!ended || ending()) return;
      if (ended.consumer_event === 'iterator_failed' || ended.consumer_event === 'iterator_ended') {
        options.logger.warn({ ...where, ...ended }, 'JetStream consumer stopped delivering; re-creating it');
      }
      const next = await reopen();
      if (!next) return;
      current = messages = next;
    }
  })().catch((error: unknown) => options.logger.error({ err: error, consumer: options.durable }, 'consumer loop ended'));

  return {
    close: async () => {
      stopping = true;
      messages.stop();
      pause.wake();
      await loop;
      await Promise.allSettled([...inflight]);
    },
  };
}

/**
 * Re-creates a durable from its ack floor when messages are still awaiting an ack from a holder that
 * is gone (see `resumeInOrder`). A consumer with nothing pending is left as it is.
 */
async function rewindOrphaned(bus: Bus, stream: string, durable: string, logger: Logger): Promise<void> {
  let info;
  try {
    info = await bus.jsm.consumers.info(stream, durable);
  } catch {
    return; // not created yet: it starts at the beginning anyway
  }
  if (info.num_ack_pending === 0) return;
  const from = info.ack_floor.stream_seq + 1;
  const { name: _name, deliver_policy: _policy, opt_start_seq: _seq, opt_start_time: _time, ...config } = info.config;
  // A work queue keeps only what is not acked yet: "all" is its floor (and the only policy it accepts).
  const workQueue = (await bus.jsm.streams.info(stream)).config.retention === RetentionPolicy.Workqueue;
  await bus.jsm.consumers.delete(stream, durable);
  await bus.jsm.consumers.add(stream, workQueue ? { ...config, durable_name: durable, deliver_policy: DeliverPolicy.All } : { ...config, durable_name: durable, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  logger.info({ stream, durable, consumer_event: 'rewound', from_seq: from, orphaned: info.num_ack_pending }, 'consumer taken over with messages in flight; handing them out again in order');
}

/** Creates the durable, or brings an existing one's mutable settings in line. */
async function ensureConsumer(bus: Bus, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  try {
    await bus.jsm.consumers.info(stream, config.durable_name);
  } catch {
    await bus.jsm.consumers.add(stream, config);
    return;
  }
  const { durable_name: _d, deliver_policy: _p, ...mutable } = config;
  await bus.jsm.consumers.update(stream, config.durable_name, mutable);
}

/** A sleep that `wake()` cuts short, so close() need not wait out a back-off. */
function interruptibleSleep(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wakeUp: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wakeUp?.(),
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
