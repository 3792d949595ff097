import { readStream as readPage, type Bus } from '@switchyard/bus';

/** A message read back from a stream. */
export interface StoredMessage {
  subject: string;
  headers: Record<string, string>;
  body: string;
}

/** Every message currently in `stream` on `subject` (wildcards allowed), oldest first. */
export async function readStream(bus: Bus, stream: string, subject: string): Promise<StoredMessage[]> {
  const page = await readPage(bus, { stream, subject, limit: 100_000 });
  return page.entries.map((e) => ({ subject: e.subject, headers: e.headers, body: e.text() }));
}

/** Whether the normalizer has taken in everything on RAW: each of its consumers (the shards and the pre-shard one) has nothing pending. */
export async function normalizerCaughtUp(jsm: Bus['jsm']): Promise<boolean> {
  for await (const info of jsm.consumers.list('RAW')) {
    if (!/^(norm_\d\d|normalizer)$/.test(info.name)) continue;
    if (info.num_pending !== 0 || info.num_ack_pending !== 0) return false;
  }
  return true;
}
