import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamManager, type JsMsg, type MsgRequest } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from './bus.js';

/** A message read back from a stream. */
export interface StoredEntry {
  seq: number;
  subject: string;
  /** When the stream stored it. */
  time: Date;
  headers: Record<string, string>;
  data: Uint8Array;
  text(): string;
}

/** Options for {@link readStream}. */
export interface ReadStreamOptions {
  stream: string;
  /** One filter subject (wildcards allowed; nats-server 2.9 takes one filter per consumer). */
  subject: string;
  /** Only messages stored at or after this time. */
  since?: Date | undefined;
  /** Only messages after this stream sequence (a cursor from a previous page). */
  afterSeq?: number | undefined;
  /** Messages to return at most. */
  limit: number;
  /** Keep only messages for which this returns true (applied before the limit). */
  match?: ((entry: StoredEntry) => boolean) | undefined;
  /** Messages to examine at most in one call, so a sparse filter cannot scan a stream forever. */
  scanLimit?: number | undefined;
}

/** A page of messages; `nextSeq` resumes after the last message examined, null when the end was reached. */
export interface StreamPage {
  entries: StoredEntry[];
  nextSeq: number | null;
  /** The last message examined, also at the end of the stream (where a follower continues), null when none was. */
  lastSeq: number | null;
}

/**
 * Reads a page of a stream, oldest first, through a short-lived consumer that acks nothing and
 * disappears by itself. Used for the attempts and events APIs and for replays: reading never changes
 * the stream.
 */
export async function readStream(bus: Bus, options: ReadStreamOptions): Promise<StreamPage> {
  const config: Partial<ConsumerConfig> = {
    filter_subject: options.subject,
    ack_policy: AckPolicy.None,
    inactive_threshold: nanos(30_000),
    mem_storage: true,
    num_replicas: 1,
  };
  if (options.afterSeq !== undefined) Object.assign(config, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.afterSeq + 1 });
  else if (options.since) Object.assign(config, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: options.since.toISOString() });
  else config.deliver_policy = DeliverPolicy.All;

  const info = await bus.jsm.consumers.add(options.stream, config);
  const scanLimit = options.scanLimit ?? 10_000;
  const entries: StoredEntry[] = [];
  let remaining = info.num_pending;
  let examined = 0;
  let lastSeq: number | null = null;
  try {
    const consumer = await bus.js.consumers.get(options.stream, info.name);
    while (remaining > 0 && entries.length < options.limit && examined < scanLimit) {
      const batch = await consumer.fetch({ max_messages: Math.min(256, remaining, scanLimit - examined), expires: 2_000 });
      let got = 0;
      for await (const message of batch as AsyncIterable<JsMsg>) {
        got++;
        examined++;
        remaining = message.info.pending;
        lastSeq = message.seq;
        const entry = toEntry(message);
        if (!options.match || options.match(entry)) entries.push(entry);
        if (entries.length >= options.limit || remaining === 0) break;
      }
      if (got === 0) break;
    }
  } finally {
    await bus.jsm.consumers.delete(options.stream, info.name).catch(() => undefined);
  }
  return { entries, nextSeq: remaining > 0 && lastSeq !== null ? lastSeq : null, lastSeq };
}

function toEntry(message: JsMsg): StoredEntry {
  const headers: Record<string, string> = {};
  for (const [key, values] of message.headers ?? []) headers[key] = values.join(', ');
  const data = message.data;
  return {
    seq: message.seq,
    subject: message.subject,
    time: new Date(Math.floor(message.info.timestampNanos / 1e6)),
    headers,
    data,
    text: () => new TextDecoder().decode(data),
  };
}

/**
 * Deletes every message of `stream` whose subject matches `filter` (wildcards allowed), one at a time by
 * sequence, and returns how many. Never a filtered purge: nats-server 2.9 (what setup installs) moves
 * every consumer of the stream past all messages up to the purge point, whatever their subject, so a
 * purge of one subscription's tasks silently skipped every other endpoint's undelivered tasks (and one
 * environment's deletion, other tenants' raw webhooks). Fixed upstream only in later releases
 * (nats-server #3838, #5075). Deleting by sequence leaves consumers alone.
 */
export async function deleteMatching(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  let deleted = 0;
  let seq = 1;
  for (;;) {
    // STREAM.MSG.GET takes `next_by_subj` (wildcards too) since nats-server 2.9; nats.js types it only for direct get.
    const message = await jsm.streams.getMessage(stream, { seq, next_by_subj: filter } as unknown as MsgRequest);
    if (!message) return deleted;
    // Already gone (acked off a work queue, aged out) between the read and the delete: nothing to do.
    if (await jsm.streams.deleteMessage(stream, message.seq, false).catch(() => false)) deleted++;
    seq = message.seq + 1;
  }
}
