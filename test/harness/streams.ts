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
