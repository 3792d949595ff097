import { KvLock, reconciles, startLeasedLoop, type Bus } from '@switchyard/bus';
import { randomId, TRACING_OFF, type Closeable, type Logger, type Metrics, type Tracer } from '@switchyard/kernel';
import type { MappingEngine, ProviderCatalog } from '@switchyard/mapping';
import type { RegistrationCalls, UnifiedEngine } from '@switchyard/provider-client';
import type { AccountRecord, AccountStore } from '@switchyard/stores';
import { failureOf } from '../registration/outcome.js';
import { pollModifiedSince, purgeFingerprints } from './modified-since.js';
import { drainQueue } from './queue.js';
import { reconcileWalk } from './reconcile.js';
import { freshPollRecord, pollRequested, type PollRecord, type PollStore } from './store.js';

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
  /** Reconcile walks read the provider's unified list. */
  unified: Pick<UnifiedEngine, 'list'>;
  store: PollStore;
  metrics?: Metrics | undefined;
  /** Each run is a `poll` span (a new trace) over its provider calls and RAW publishes; off when absent. */
  tracer?: Tracer | undefined;
}

/**
 * Polls every active account of every provider whose definition has a `polling` section: each tick,
 * the replica holding the cluster-wide `poller` lease works the (account, resource) pairs that are due,
 * each under the account's own lock with its state re-read under it, so two hubs never poll one account
 * at once. State lives in KV only: a restarted or different replica carries on where the last stopped.
 */
export function startPoller(parts: PollerParts, options: PollerOptions): Closeable {
  const accountLocks = new KvLock(parts.bus.kv.locks, { owner: randomId('poll'), ttlMs: options.lockMs ?? 120_000 });
  const pollOne = async (account: AccountRecord, resource: string, kind: PairKind): Promise<void> => {
    const attempt = await accountLocks.tryAcquire(`poll.${account.id}`);
    if (!attempt.acquired) return;
    try {
      const now = Date.now();
      const before = (await parts.store.read(account.id, resource)) ?? freshPollRecord(account, resource, now);
      if (!due(before, now)) return;
      const loaded = parts.catalog.get(account.provider)!;
      const polling = loaded.definition.polling!;
      const declared = kind === 'poll' ? polling.resources[resource]! : polling.reconcile![resource]!;
      const intervalMs = options.intervalMs ?? declared.interval_s * 1000;
      const span = (parts.tracer ?? TRACING_OFF).start('poll', 'internal', undefined);
      if (span.recording) {
        span.set('switchyard.provider', account.provider);
        span.set('switchyard.account_id', account.id);
        span.set('switchyard.resource', resource);
        span.set('switchyard.poll_kind', kind);
      }
      const target = { provider: loaded, account, credentials: parts.accounts.credentials(account), trace: span.context };
      let record: PollRecord = { ...before, last_run_at: new Date(now).toISOString() };
      try {
        const run = { ...parts, publishTimeoutMs: options.publishTimeoutMs, keepLock: () => attempt.lock.renew() };
        if (kind === 'reconcile') record = await reconcileWalk(run, target, resource, polling.reconcile![resource]!, record);
        else {
          const source = polling.resources[resource]!.source;
          record = source.type === 'queue' ? await drainQueue(run, target, resource, source, record) : await pollModifiedSince(run, target, resource, source, record);
        }
        await parts.store.put({ ...record, failures: 0, last_error: null, progress: null, next_poll_at: new Date(Date.now() + intervalMs).toISOString() });
        const labels = { provider: account.provider, resource };
        parts.metrics?.polledEvents.inc(labels, record.events_emitted - before.events_emitted);
        span.set('switchyard.events', record.events_emitted - before.events_emitted);
      } catch (error) {
        const { failure, retryAfterMs } = failureOf(error, new Date().toISOString());
        span.fail(failure.code);
        const current = (await parts.store.read(account.id, resource)) ?? record;
        const backoff = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** current.failures);
        await parts.store.put({ ...current, last_run_at: record.last_run_at, failures: current.failures + 1, last_error: failure, progress: null, next_poll_at: new Date(Date.now() + Math.max(backoff, retryAfterMs ?? 0)).toISOString() });
        parts.metrics?.pollErrors.inc({ provider: account.provider, code: failure.code });
        parts.logger.warn({ provider: account.provider, account: account.id, resource, code: failure.code, provider_status: failure.provider_status }, 'poll failed; cursor unchanged');
      } finally {
        span.end();
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
        for (const [resource, kind] of pairsOf(parts.catalog, account)) {
          if (stopped()) return;
          const known = parts.store.peek(account.id, resource);
          if (known && !due(known, now)) continue;
          await pollOne(account, resource, kind).catch((error: unknown) => parts.logger.error({ err: error, account: account.id, resource }, 'poll failed unexpectedly'));
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

/** How a pair is worked: a poll source, or a reconcile walk of a pushed resource. */
export type PairKind = 'poll' | 'reconcile';

/**
 * The (resource, kind) pairs the poller works for an account: every polled resource of its provider,
 * and the reconciled ones when the account opted in (`config.reconcile: true`).
 */
export function pairsOf(catalog: ProviderCatalog, account: AccountRecord): Array<[string, PairKind]> {
  const definition = account.status === 'active' ? catalog.get(account.provider)?.definition : undefined;
  if (!definition?.polling) return [];
  const polled = Object.keys(definition.polling.resources).map((r): [string, PairKind] => [r, 'poll']);
  const reconciled = Object.keys(definition.polling.reconcile ?? {}).filter((r) => reconciles(definition, account.config, r));
  return [...polled, ...reconciled.map((r): [string, PairKind] => [r, 'reconcile'])];
}

/** Not paused, and its time has come or the operator asked for a run (`poll-now`). */
function due(record: PollRecord, now: number): boolean {
  return !record.paused && (Date.parse(record.next_poll_at) <= now || pollRequested(record));
}
