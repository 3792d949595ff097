import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Bus } from '@switchyard/runtime';

/** A message read back from a stream. */
export interface StoredMessage {
  subject: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Reads every message currently in `stream` on `subject` (wildcards allowed) through a short-lived
 * consumer with one filter subject, which nats-server 2.9 supports.
 */
export async function readStream(bus: Bus, stream: string, subject: string): Promise<StoredMessage[]> {
  const info = await bus.jsm.consumers.add(stream, {
    filter_subject: subject,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: nanos(30_000),
  });
  const pending = info.num_pending;
  const out: StoredMessage[] = [];
  if (pending === 0) return out;
  const consumer = await bus.js.consumers.get(stream, info.name);
  const batch = await consumer.fetch({ max_messages: pending, expires: 2_000 });
  for await (const m of batch as AsyncIterable<JsMsg>) {
    const headers: Record<string, string> = {};
    for (const [key, values] of m.headers ?? []) headers[key] = values.join(', ');
    out.push({ subject: m.subject, headers, body: m.string() });
    if (out.length === pending) break;
  }
  await bus.jsm.consumers.delete(stream, info.name).catch(() => undefined);
  return out;
}
