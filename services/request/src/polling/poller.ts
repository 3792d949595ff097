import { KvLock, startLeasedLoop, type Bus } from '@switchyard/bus';
import { randomId, type Closeable, type Logger, type Metrics } from '@switchyard/kernel';
import type { MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import type { RegistrationCalls } from '@switchyard/provider-client';
import type { AccountRecord, AccountStore } from '@switchyard/stores';
import { failureOf } from '../registration/outcome.js';
import { pollModifiedSince, purgeFingerprints } from './modified-since.js';
import { drainQueue } from './queue.js';
import type { PollRecord, PollStore } from './store.js';

/** The lease key of the one poller that runs at a time, cluster-wide. */
export const POLLER_LEASE = 'poller';

/** Poller tuning (`PollingEnv`). */
export interface PollerOptions {
  tickMs: number;
  /** Overrides every resource's `interval_s` (tests, operators who need it slower or faster). */
  intervalMs: number | undefined;
  backoffBaseMs: number;
  backoffMaxMs: number;
  leaseMs: number;
  /** TTL of an account's poll lock (renewed per message and page). */
  lockMs?: number | undefined;
  publishTimeoutMs: number;
}

/** What the poller works with. */
export interface PollerParts {
  bus: Bus;
  logger: Logger;
  engine: MappingEngine;
  catalog: ProviderCatalog;
  accounts: AccountStore;
  calls: RegistrationCalls;
  store: PollStore;
  metrics?: Metrics | undefined;
}

/**
 * Polls every active account of every provider whose definition has a `polling` section: each tick,
 * the replica holding the cluster-wide `poller` lease works the (account, resource) pairs that are due,
 * each under the account's own lock with its state re-read under it, so two hubs never poll one account
 * at once. State lives in KV only: a restarted or different replica carries on where the last stopped.
 */
export function startPoller(parts: PollerParts, options: PollerOptions): Closeable {
  const accountLocks = new KvLock(parts.bus.kv.locks, { owner: randomId('poll'), ttlMs: options.lockMs ?? 120_000 });
  const pollOne = async (account: AccountRecord, resource: string): Promise<void> => {
    const attempt = await accountLocks.tryAcquire(`poll.${account.id}`);
    if (!attempt.acquired) return;
    try {
      const now = Date.now();
      const before = (await parts.store.get(account.id, resource)) ?? fresh(account, resource, now);
      if (Date.parse(before.next_poll_at) > now) return;
      const loaded = parts.catalog.get(account.provider)!;
      const polled = loaded.definition.polling!.resources[resource]!;
      const intervalMs = options.intervalMs ?? polled.interval_s * 1000;
      const target = { provider: loaded, account, credentials: parts.accounts.credentials(account) };
      let record: PollRecord = { ...before, last_run_at: new Date(now).toISOString() };
      try {
        const run = { ...parts, publishTimeoutMs: options.publishTimeoutMs, keepLock: () => attempt.lock.renew() };
        const source = polled.source;
        record = source.type === 'queue' ? await drainQueue(run, target, resource, source, record) : await pollModifiedSince(run, target, resource, source, record);
        await parts.store.put({ ...record, failures: 0, last_error: null, next_poll_at: new Date(Date.now() + intervalMs).toISOString() });
        const labels = { provider: account.provider, resource };
        parts.metrics?.polledEvents.inc(labels, record.events_emitted - before.events_emitted);
      } catch (error) {
        const { failure, retryAfterMs } = failureOf(error, new Date().toISOString());
        const current = (await parts.store.get(account.id, resource)) ?? record;
        const backoff = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** current.failures);
        await parts.store.put({ ...current, last_run_at: record.last_run_at, failures: current.failures + 1, last_error: failure, next_poll_at: new Date(Date.now() + Math.max(backoff, retryAfterMs ?? 0)).toISOString() });
        parts.metrics?.pollErrors.inc({ provider: account.provider, code: failure.code });
        parts.logger.warn({ provider: account.provider, account: account.id, resource, code: failure.code, provider_status: failure.provider_status }, 'poll failed; cursor unchanged');
      }
    } finally {
      await attempt.lock.release();
    }
  };

  return startLeasedLoop({
    kv: parts.bus.kv.locks,
    lease: POLLER_LEASE,
    owner: randomId('poller'),
    leaseMs: options.leaseMs,
    everyMs: options.tickMs,
    logger: parts.logger,
    always: () => parts.metrics && setLag(parts.metrics, parts.store),
    round: async (stopped) => {
      const now = Date.now();
      await forgetDeleted(parts);
      for (const account of parts.accounts.all()) {
        const polling = account.status === 'active' ? parts.catalog.get(account.provider)?.definition.polling : undefined;
        for (const resource of Object.keys(polling?.resources ?? {})) {
          if (stopped()) return;
          const known = parts.store.peek(account.id, resource);
          if (known && Date.parse(known.next_poll_at) > now) continue;
          await pollOne(account, resource).catch((error: unknown) => parts.logger.error({ err: error, account: account.id, resource }, 'poll failed unexpectedly'));
        }
      }
    },
  });
}

/**
 * Removes the poll state and fingerprints of accounts that no longer exist, so nothing of a deleted
 * account stays behind. An id missing from the mirror is confirmed by a read (the mirror may lag a new account).
 */
async function forgetDeleted(parts: PollerParts): Promise<void> {
  const live = new Set(parts.accounts.all().map((a) => a.id));
  for (const record of parts.store.all()) {
    if (live.has(record.account_id) || (await parts.accounts.get(record.account_id))) continue;
    await purgeFingerprints(parts.bus.kv.poll_fingerprints, record.account_id);
    await parts.store.delete(record.account_id, record.resource);
  }
}

/** Sets the lag gauge from this replica's mirror of the cluster-wide bucket. */
function setLag(metrics: Metrics, store: PollStore): void {
  const now = Date.now();
  const lag = new Map<string, { provider: string; resource: string; seconds: number }>();
  for (const record of store.all()) {
    const since = record.cursor ?? (record.last_error ? record.last_run_at : null);
    const seconds = since ? Math.max(0, Math.round((now - Date.parse(since)) / 1000)) : 0;
    const key = `${record.provider} ${record.resource}`;
    if ((lag.get(key)?.seconds ?? -1) < seconds) lag.set(key, { provider: record.provider, resource: record.resource, seconds });
  }
  metrics.pollLag.reset();
  for (const { provider, resource, seconds } of lag.values()) metrics.pollLag.set({ provider, resource }, seconds);
}

/** The state of a pair never polled: due now. */
function fresh(account: AccountRecord, resource: string, now: number): PollRecord {
  const at = new Date(now).toISOString();
  return { account_id: account.id, environment_id: account.environment_id, provider: account.provider, resource, next_poll_at: at, last_run_at: null, cursor: null, head: null, events_emitted: 0, failures: 0, last_error: null, updated_at: at };
}
