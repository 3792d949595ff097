import { encodeSeen, fingerprintKey, reconciles, unifiedFingerprint, type Bus } from '@switchyard/bus';
import type { Logger } from '@switchyard/kernel';
import type { LoadedProvider } from '@switchyard/mapping';
import type { AccountRecord } from '@switchyard/stores';

/**
 * Records, for reconciliation (docs/polling.md#reconciliation), the fingerprint of the record a webhook's
 * enrichment just fetched: the next reconcile walk then finds the same fingerprint and reports nothing.
 * Only for accounts that opted in and resources their provider reconciles; a failed write is logged and
 * costs at most one event reported as missed (`origin: reconcile`) that was not: the event itself goes on.
 */
export async function recordSeen(bus: Bus, logger: Logger, provider: LoadedProvider, account: AccountRecord, resource: string, record: Record<string, unknown>): Promise<void> {
  if (!reconciles(provider.definition, account.config, resource) || record.remote_id === undefined) return;
  const key = fingerprintKey(account.id, resource, String(record.remote_id));
  const value = encodeSeen({ fingerprint: unifiedFingerprint(record), by: 'webhook', at: new Date().toISOString() });
  await bus.kv.poll_fingerprints.put(key, value).catch((error: unknown) => {
    logger.warn({ provider: provider.definition.slug, account: account.id, resource, err: String((error as Error).message) }, 'could not record a webhook fingerprint for reconciliation');
  });
}
