import type { ReconciledResource } from '@switchyard/contracts';
import { decodeSeen, encodeSeen, fingerprintKey, publishOperationalEvent, unifiedFingerprint, type Bus } from '@switchyard/bus';
import type { Logger, Metrics } from '@switchyard/kernel';
import type { UnifiedEngine, UnifiedTarget } from '@switchyard/provider-client';
import { publishPolled, stillHeld } from './poll-calls.js';
import { reportProgress, type PollRecord, type PollStore } from './store.js';

/** What a reconcile walk works with. */
export interface ReconcileParts {
  bus: Bus;
  logger: Logger;
  /** The unified list: the definition's pagination, auth and the account's rate-limit governor. */
  unified: Pick<UnifiedEngine, 'list'>;
  store: PollStore;
  publishTimeoutMs: number;
  keepLock: () => Promise<boolean>;
  metrics?: Metrics | undefined;
}

/** The RAW payload of a change reconciliation found; the webhook mapping reads it as `payload.reconcile`. */
export interface ReconciledChange {
  reconcile: { resource: string; action: 'created' | 'updated'; record: Record<string, unknown> };
}

/**
 * One reconcile walk of an account's pushed resource (docs/polling.md#reconciliation): pages through the
 * unified list and compares each record's unified fingerprint with the last one known — recorded by the
 * normalizer when a webhook's enrichment fetched the record, or by the previous walk. A record whose
 * fingerprint differs changed without a webhook: it goes to RAW with `origin: reconcile` (event key
 * `<resource>:<remote id>:<fingerprint>`, so two walks or two hubs emit it once) and its fingerprint is
 * kept only after the publish; a walk that found any also publishes `webhook/source:silent` (account,
 * resource, count, gap). The first walk of an account only records (the baseline). The cursor
 * (the walk's start) moves only after every page is done; a failure repeats the walk, never skips it.
 */
export async function reconcileWalk(parts: ReconcileParts, target: UnifiedTarget, resource: string, spec: ReconciledResource, start: PollRecord): Promise<PollRecord> {
  const fingerprints = parts.bus.kv.poll_fingerprints;
  const slug = target.provider.definition.slug;
  const baseline = start.cursor === null;
  const walkStart = new Date();
  const updatedAfter = spec.updated_after && start.cursor !== null ? new Date(Date.parse(start.cursor) - spec.overlap_s * 1000).toISOString() : undefined;
  let missed = 0;
  let read = 0;
  let pages = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await parts.unified.list(target, resource, { limit: spec.page_size, cursor, updated_after: updatedAfter, filters: {}, include_remote_data: false });
    for (const record of page.value.result) {
      const remoteId = String(record.remote_id);
      const key = fingerprintKey(target.account.id, resource, remoteId);
      const entry = await fingerprints.get(key);
      const known = decodeSeen(entry?.operation === 'PUT' ? entry.string() : undefined);
      const fingerprint = unifiedFingerprint(record);
      if (known?.fingerprint === fingerprint) continue;
      if (!baseline) {
        const change: ReconciledChange = { reconcile: { resource, action: known ? 'updated' : 'created', record } };
        await publishPolled(parts, target, `${resource}:${remoteId}:${fingerprint}`, change, 'reconcile');
        missed++;
      }
      await fingerprints.put(key, encodeSeen({ fingerprint, by: 'reconcile', at: new Date().toISOString() }));
    }
    if (page.value.next_cursor === null) break;
    cursor = page.value.next_cursor;
    read += page.value.result.length;
    await reportProgress(parts.store, start, read, ++pages);
    await stillHeld(parts, slug);
  }
  const at = new Date().toISOString();
  const done = await parts.store.put({
    ...start,
    cursor: walkStart.toISOString(),
    events_emitted: start.events_emitted + missed,
    missed_last_run: missed,
    missed_total: (start.missed_total ?? 0) + missed,
    last_missed_at: missed > 0 ? at : (start.last_missed_at ?? null),
  });
  if (missed > 0) await reportSilence(parts, target, resource, missed, { from: start.cursor, to: walkStart.toISOString() });
  return done;
}

/**
 * Tells about a walk that found misses: the metric, one log line and `webhook/source:silent` — counts
 * and the gap only, never the records. The events themselves are already durable: a failed operational
 * publish is logged, not retried (the counters in the poll state keep the fact).
 */
async function reportSilence(parts: ReconcileParts, target: UnifiedTarget, resource: string, missed: number, gap: { from: string | null; to: string }): Promise<void> {
  const slug = target.provider.definition.slug;
  const account = target.account;
  parts.metrics?.reconcileMissed.inc({ provider: slug }, missed);
  parts.logger.warn({ provider: slug, account: account.id, resource, missed }, 'reconciliation found changes no webhook announced');
  await publishOperationalEvent(parts.bus, {
    type: 'webhook/source:silent',
    environmentId: account.environment_id,
    key: `${account.id}:${resource}:${gap.to}`,
    data: { integrated_account_id: account.id, provider: slug, resource, missed, gap },
  }).catch((error: unknown) => parts.logger.warn({ provider: slug, account: account.id, err: String((error as Error).message) }, 'webhook/source:silent not published'));
}
