import { createHash, randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';

/** How long a key is remembered: 24 h from its first use. */
export const IDEMPOTENCY_RETENTION_MS = 86_400_000; // 24 h
/** How long an unfinished call holds its key before a retry may take it over. */
export const IDEMPOTENCY_LEASE_MS = 120_000; // 2 min

/** What a completed write answered: enough to replay it, and nothing of its payload. */
export interface IdempotencyOutcome {
  status: number;
  remote_id: string | null;
}

/** Proof that this caller owns a key until it completes or releases it. */
export interface IdempotencyLease {
  readonly kvKey: string;
  readonly fingerprint: string;
  /** The KV revision this lease wrote; completing needs it to still be current. */
  readonly revision: number;
  readonly expiresAt: number;
}

/**
 * - `new`: run the write, then {@link IdempotencyStore.complete} (or release) the lease;
 * - `replay`: answer with the first outcome, do not call the provider;
 * - `in_progress`: the same request is running elsewhere — answer 409;
 * - `mismatch`: the key was used for a different request — answer 422.
 */
export type BeginResult =
  | { state: 'new'; lease: IdempotencyLease }
  | { state: 'replay'; outcome: IdempotencyOutcome }
  | { state: 'in_progress' }
  | { state: 'mismatch' };

/** Options for {@link IdempotencyStore}. */
export interface IdempotencyStoreOptions {
  /** Key retention, ms (default 24 h). */
  retentionMs?: number;
  /** Lease, ms; must exceed the longest provider call or a slow write gets run twice (default 2 min). */
  leaseMs?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
}

/** The stored record: a digest, a state, times and the outcome. Never a body. */
interface StoredRecord {
  v: 1;
  fingerprint: string;
  state: 'in_progress' | 'done';
  /** Unix ms after which an `in_progress` record counts as abandoned (its owner crashed). */
  lease_until: number;
  /** Unix ms after which the record counts as absent. */
  expires_at: number;
  status?: number;
  remote_id?: string | null;
}

/** Attempts before giving up on a key that keeps changing under us; each loss means another writer won. */
const MAX_ATTEMPTS = 8;

function isConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function decode(entry: KvEntry | null): StoredRecord | undefined {
  if (!entry || entry.operation !== 'PUT') return undefined;
  try {
    const value = entry.json<StoredRecord>();
    return value?.v === 1 && typeof value.fingerprint === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `Idempotency-Key` bookkeeping for writes, over the `idempotency` KV bucket. Every transition is a
 * compare-and-set on the key's revision (`create`, `update`), so any number of replicas agree on exactly
 * one owner per key. Expiry is a stored `expires_at` checked on read, because per-key TTL needs a newer
 * nats-server than the 2.9 floor; give the bucket a max age of at least the retention so old keys are
 * eventually removed.
 */
export class IdempotencyStore {
  readonly #kv: KV;
  readonly #retentionMs: number;
  readonly #leaseMs: number;
  readonly #clock: () => number;

  constructor(kv: KV, options: IdempotencyStoreOptions = {}) {
    this.#kv = kv;
    this.#retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
    this.#leaseMs = options.leaseMs ?? IDEMPOTENCY_LEASE_MS;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Claims `key` for a request with this fingerprint, or says why not. A record that expired, or an
   * `in_progress` one whose lease ran out, is taken over as if new.
   *
   * @param envId the environment: keys never collide across customers
   * @param key the client's `Idempotency-Key`, any string (it is hashed into the KV key)
   * @param fingerprint {@link requestFingerprint} of the request
   */
  async begin(envId: string, key: string, fingerprint: string): Promise<BeginResult> {
    const kvKey = IdempotencyStore.kvKey(envId, key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get(kvKey);
      const now = this.#clock();
      const current = decode(entry);
      if (current && current.expires_at > now) {
        if (current.fingerprint !== fingerprint) return { state: 'mismatch' };
        if (current.state === 'done') return { state: 'replay', outcome: { status: current.status ?? 0, remote_id: current.remote_id ?? null } };
        if (current.lease_until > now) return { state: 'in_progress' };
      }
      const record: StoredRecord = { v: 1, fingerprint, state: 'in_progress', lease_until: now + this.#leaseMs, expires_at: now + this.#retentionMs };
      try {
        const bytes = JSON.stringify(record);
        // An absent key is created; anything else (expired, abandoned, deleted, unreadable) is replaced
        // only if nobody wrote it since we read it.
        const revision = entry ? await this.#kv.update(kvKey, bytes, entry.revision) : await this.#kv.create(kvKey, bytes);
        return { state: 'new', lease: { kvKey, fingerprint, revision, expiresAt: record.expires_at } };
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    // Only a storm of writers on one key gets here; each of them saw another win, so this one waits.
    return { state: 'in_progress' };
  }

  /**
   * Records the outcome, to be replayed for the rest of the retention. Returns false when the lease was
   * lost: it ran out and a retry took the key over, so that retry's outcome stands.
   */
  async complete(lease: IdempotencyLease, outcome: IdempotencyOutcome): Promise<boolean> {
    const record: StoredRecord = {
      v: 1,
      fingerprint: lease.fingerprint,
      state: 'done',
      lease_until: 0,
      expires_at: lease.expiresAt,
      status: outcome.status,
      remote_id: outcome.remote_id,
    };
    try {
      await this.#kv.update(lease.kvKey, JSON.stringify(record), lease.revision);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Gives the key up without an outcome, when the write certainly did not happen (refused before the
   * provider was called), so the client's retry runs at once instead of waiting out the lease. A no-op
   * if the lease was already lost.
   */
  async release(lease: IdempotencyLease): Promise<void> {
    try {
      await this.#kv.delete(lease.kvKey, { previousSeq: lease.revision });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }

  /**
   * The KV key of an environment's idempotency key. Client keys are hashed: they may hold any
   * characters, and KV keys allow few.
   */
  static kvKey(envId: string, key: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(envId)) throw new Error(`idempotency: environment id '${envId}' is not a KV token`);
    if (key === '') throw new Error('idempotency: empty key');
    return `${envId}.${createHash('sha256').update(key).digest('base64url')}`;
  }
}
