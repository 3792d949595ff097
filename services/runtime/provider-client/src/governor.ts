import type { KV } from '@nats-io/kv';
import { randomId } from '@switchyard/kernel';

/** Gives a taken slot back. */
export type ReleaseSlot = () => Promise<void>;

interface Lease {
  owner: string;
  expires_at: number;
}

/**
 * A per-account cap on provider calls in flight, shared by every process through KV: slot `i` of an
 * account is the key `gov.<account>.<i>`, taken with `create` (fails when held) and given back with a
 * revision-checked delete. A holder that crashed leaves a lease that expires and is taken over by
 * compare-and-set. NetSuite bills concurrency per account, so going over it fails calls for everyone.
 */
export class ConcurrencyGovernor {
  readonly #kv: KV;
  readonly #leaseMs: number;
  readonly #owner = randomId('gov');

  constructor(kv: KV, options: { leaseMs: number }) {
    this.#kv = kv;
    this.#leaseMs = options.leaseMs;
  }

  /** Takes one of `cap` slots, waiting up to `waitMs`; undefined when none freed in time. */
  async acquire(accountId: string, cap: number, waitMs: number): Promise<ReleaseSlot | undefined> {
    const deadline = Date.now() + waitMs;
    let pause = 10;
    for (;;) {
      for (let slot = 0; slot < cap; slot++) {
        const release = await this.#take(`gov.${accountId}.${slot}`);
        if (release) return release;
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
      pause = Math.min(pause * 2, 100);
    }
  }

  async #take(key: string): Promise<ReleaseSlot | undefined> {
    const lease = JSON.stringify({ owner: this.#owner, expires_at: Date.now() + this.#leaseMs } satisfies Lease);
    let revision: number;
    try {
      revision = await this.#kv.create(key, lease);
    } catch {
      const held = await this.#kv.get(key).catch(() => null);
      if (!held) return undefined;
      const current = held.operation === 'PUT' ? (held.json() as Lease) : undefined;
      if (current && current.expires_at > Date.now()) return undefined;
      try {
        // Deleted or expired: take it over only if nobody else changed it meanwhile.
        revision = await this.#kv.update(key, lease, held.revision);
      } catch {
        return undefined;
      }
    }
    return async () => {
      await this.#kv.delete(key, { previousSeq: revision }).catch(() => undefined);
    };
  }
}
