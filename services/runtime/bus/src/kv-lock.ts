import type { KV } from '@nats-io/kv';
import { isCasConflict } from './kv-cas.js';

/** What a lock entry holds. `expires_at` is epoch ms on the holder's clock. */
export interface LockValue {
  owner: string;
  expires_at: number;
}

/** A held lock. */
export interface HeldLock {
  readonly key: string;
  /** Deletes the entry if this holder still owns it; a lock taken over after expiry is left alone. */
  release(): Promise<void>;
  /**
   * Extends the lease by the lock's TTL from now, at the revision this holder last wrote. False when the
   * lease was taken over meanwhile (it had expired): the holder must stop what the lease guards.
   */
  renew(): Promise<boolean>;
}

/** The outcome of one attempt: the lock, or who holds it now. */
export type LockAttempt = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockValue | undefined };

/**
 * A lease in a KV bucket shared by every process of the cluster. Acquiring is `kv.create` (fails when the
 * key holds a live value); an expired lease is taken over with `kv.update` at the revision that was read,
 * so of several processes noticing the same expiry exactly one wins. The lease is a value, not a bucket
 * TTL, because per-key TTLs need nats-server 2.11 and the floor is 2.9.
 *
 * Hazard: expiry compares the holder's clock with the reader's; keep clocks within a small fraction of
 * the TTL (NTP does) or a slow holder can be overtaken while it still works.
 */
export class KvLock {
  readonly #kv: KV;
  readonly #owner: string;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(kv: KV, options: { owner: string; ttlMs: number; now?: () => number }) {
    this.#kv = kv;
    this.#owner = options.owner;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  /** Tries once to take the lease on `key`; never waits. */
  async tryAcquire(key: string): Promise<LockAttempt> {
    const value = (): string => JSON.stringify({ owner: this.#owner, expires_at: this.#now() + this.#ttlMs } satisfies LockValue);
    try {
      // create() also succeeds over a delete marker, which is how a released lease looks.
      return this.#held(key, await this.#kv.create(key, value()));
    } catch (error) {
      if (!isCasConflict(error)) throw error;
    }
    const entry = await this.#kv.get(key);
    const holder = entry?.operation === 'PUT' ? parse(entry.string()) : undefined;
    if (entry && holder && holder.expires_at > this.#now()) return { acquired: false, holder };
    try {
      // Expired (or released between our create and get): compare-and-set on the revision we saw.
      return this.#held(key, await this.#kv.update(key, value(), entry?.revision ?? 0));
    } catch (error) {
      if (!isCasConflict(error)) throw error;
      return { acquired: false, holder };
    }
  }

  /** True when nobody holds a live lease on `key` (absent, released or expired). */
  async isFree(key: string): Promise<boolean> {
    const entry = await this.#kv.get(key);
    if (!entry || entry.operation !== 'PUT') return true;
    const holder = parse(entry.string());
    return !holder || holder.expires_at <= this.#now();
  }

  #held(key: string, revision: number): LockAttempt {
    const kv = this.#kv;
    let current = revision;
    const release = async (): Promise<void> => {
      try {
        await kv.delete(key, { previousSeq: current });
      } catch (error) {
        // Someone took the lease over after it expired: theirs now, not ours to delete.
        if (!isCasConflict(error)) throw error;
      }
    };
    const renew = async (): Promise<boolean> => {
      try {
        current = await kv.update(key, JSON.stringify({ owner: this.#owner, expires_at: this.#now() + this.#ttlMs } satisfies LockValue), current);
        return true;
      } catch (error) {
        if (!isCasConflict(error)) throw error;
        return false;
      }
    };
    return { acquired: true, lock: { key, release, renew } };
  }
}

function parse(text: string): LockValue | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockValue>;
    return typeof value.owner === 'string' && typeof value.expires_at === 'number' ? { owner: value.owner, expires_at: value.expires_at } : undefined;
  } catch {
    // A garbled entry is treated as expired so it cannot wedge the account forever.
    return undefined;
  }
}
