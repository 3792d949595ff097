import { ok } from '@switchyard/client';
import { pause, type RemoteCliOptions } from './cli-client.js';

export const EVENTS_USAGE = `  switchyard events tail [--type <pattern>] [--since <ISO time>] [--once] [--url <hub url>]
      print the environment's events as they arrive, one line each (time, type, record, account, id),
      from --since (default: now) on; --type filters like a subscription (hris/employees:*); --once
      prints what is there and stops`;

/** One event on one line: what a person scanning a tail wants first. */
export function eventLine(e: { id: string; type: string; timestamp: string; record_id?: string | null; integrated_account_id?: string | null; origin?: string | null }): string {
  return [e.timestamp, e.type.padEnd(28), e.record_id ?? '-', e.integrated_account_id ?? '-', e.origin ?? '-', e.id].join('  ');
}

/**
 * `switchyard events tail`: pages through `GET /v1/events` from `since`, then asks again from the
 * answer's `tail_cursor` every `everyMs`, so each event is printed once, in stream order, until the
 * signal fires (Ctrl-C) — or after the first pass with `once`.
 */
export async function eventsTail(options: RemoteCliOptions & { type?: string; since?: string; once?: boolean }): Promise<number> {
  let cursor: string | undefined;
  const since = options.since ?? new Date().toISOString();
  const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
  for (;;) {
    const page = ok(
      await options.client.GET('/v1/events', {
        params: { query: { ...(cursor ? { cursor } : { since }), ...(options.type ? { type: options.type } : {}), limit: '500' } },
      }),
    );
    for (const event of page.data ?? []) options.out(`${eventLine(event)}\n`);
    cursor = page.tail_cursor ?? cursor;
    if (page.next_cursor) continue;
    if (options.once || options.signal?.aborted || Date.now() > deadline) return 0;
    await pause(options.everyMs ?? 1_000, options.signal);
    if (options.signal?.aborted) return 0;
  }
}
