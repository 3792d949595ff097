import type { ConsumerMessages, ConsumerNotification } from '@nats-io/jetstream';
import type { Logger } from '@switchyard/kernel';

/** Why a watched consumer must be re-created: JetStream no longer has it. */
export type ConsumerGone = 'consumer_deleted' | 'consumer_not_found' | 'stream_not_found';

/** What {@link watchConsumer} needs to know and to do. */
export interface WatchTarget {
  stream: string;
  durable: string;
  logger: Logger;
  /** Asks JetStream whether the consumer still exists; `unknown` when nobody answered (election, outage). */
  exists(): Promise<'yes' | 'missing_consumer' | 'missing_stream' | 'unknown'>;
  /** Called once when the consumer is gone: the caller stops this iterator and re-creates the consumer. */
  gone(reason: ConsumerGone): void;
}

/** A running watch: {@link ConsumerWatch.alive} is called for every message received. */
export interface ConsumerWatch {
  alive(): void;
}

/** Existence is asked at most this often while a consumer hears nothing, in ms. */
const CHECK_EVERY_MS = 5_000;

/**
 * Follows a pull consumer's status notifications and says, by stream, durable and event code only
 * (never a payload), when it stops hearing from its JetStream leader and when it hears it again.
 * nats.js re-pulls by itself after missed heartbeats (the consumer is bound, so it does so without
 * first waiting for a consumer-info answer that a leaderless cluster cannot give); what it does not do
 * is say anything, or notice that the consumer was deleted: that is checked here, and `gone` lets the
 * caller re-create it. One warning per stall, one info line when it ends, so a failover with many
 * consumers logs two lines per consumer, not one per heartbeat.
 */
export function watchConsumer(messages: ConsumerMessages, target: WatchTarget): ConsumerWatch {
  const where = { stream: target.stream, durable: target.durable };
  let stalledSince: number | undefined;
  let stallEvent: string | undefined;
  let lastCheck = 0;
  let checking = false;
  let ended = false;

  const stall = (event: string, fields: Record<string, unknown>, message: string) => {
    if (stalledSince !== undefined) return;
    stalledSince = Date.now();
    stallEvent = event;
    target.logger.warn({ ...where, consumer_event: event, ...fields }, message);
  };
  const recovered = () => {
    if (stalledSince === undefined) return;
    target.logger.info({ ...where, consumer_event: 'recovered', after: stallEvent, stalled_ms: Date.now() - stalledSince }, 'JetStream consumer receives again');
    stalledSince = undefined;
    stallEvent = undefined;
  };
  const end = (reason: ConsumerGone, fields: Record<string, unknown> = {}) => {
    if (ended) return;
    ended = true;
    target.logger.warn({ ...where, consumer_event: reason, ...fields }, 'JetStream consumer is gone; re-creating it');
    target.gone(reason);
  };
  // Missed heartbeats also follow a consumer deleted while no pull was waiting (no 409 arrives then).
  const checkExists = async () => {
    if (checking || ended || Date.now() - lastCheck < CHECK_EVERY_MS) return;
    checking = true;
    lastCheck = Date.now();
    try {
      const answer = await target.exists();
      if (answer === 'missing_consumer') end('consumer_not_found');
      else if (answer === 'missing_stream') end('stream_not_found');
    } finally {
      checking = false;
    }
  };

  const onStatus = (status: ConsumerNotification) => {
    switch (status.type) {
      case 'heartbeats_missed':
        stall('heartbeats_missed', { count: status.count }, 'JetStream consumer hears nothing from its leader (node lost or leader election?); pulling again');
        void checkExists();
        break;
      case 'no_responders':
        stall('no_responders', { code: status.code }, 'no JetStream server took the pull request (leader election?); pulling again');
        break;
      case 'consumer_deleted':
        end('consumer_deleted', { code: status.code });
        break;
      case 'consumer_not_found':
        end('consumer_not_found');
        break;
      case 'stream_not_found':
        end('stream_not_found');
        break;
      case 'exceeded_limits':
        stall('exceeded_limits', { code: status.code, description: status.description }, 'JetStream refused a pull request over a consumer limit');
        break;
      case 'heartbeat':
        recovered();
        break;
      default:
      // next, discard, debug, flow control, pinning: routine.
    }
  };

  void (async () => {
    for await (const status of messages.status()) onStatus(status);
  })().catch(() => undefined);

  return { alive: recovered };
}
