import type { KV } from '@nats-io/kv';
import { SwitchyardError, type ProviderDefinition } from '@switchyard/contracts';
import { randomId } from '@switchyard/kernel';
import type { NormalizedRateLimit } from './rate-limit/index.js';

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

/** A provider call whose account may hold a slot: the definition and the account's config. */
interface SlotTarget {
  provider: { definition: Pick<ProviderDefinition, 'slug' | 'api'> };
  account: { id: string; config: Record<string, unknown> };
}

/** The provider throttled the account: the route answers 429 with the normalized rate-limit fields. */
export class ProviderThrottled extends SwitchyardError {
  readonly provider: string;
  readonly rateLimit: NormalizedRateLimit;
  constructor(provider: string, rateLimit: NormalizedRateLimit) {
    super('SWY_ERR_PROVIDER_RATE_LIMITED', `${provider} is rate limiting this account`);
    this.provider = provider;
    this.rateLimit = rateLimit;
  }
}

/**
 * Runs one provider call under the account's concurrency cap when the provider declares one: no slot
 * within the wait is a {@link ProviderThrottled} for a `concurrent-requests` policy, so routes answer
 * 429 and background work (enrichment, registration) comes back later — every path counts against the
 * same per-account limit.
 */
export async function withAccountSlot<T>(governor: ConcurrencyGovernor | undefined, target: SlotTarget, call: () => Promise<T>): Promise<T> {
  const cap = target.provider.definition.api?.concurrency;
  if (!cap || !governor) return call();
  const configured = cap.pool_config ? Number(target.account.config[cap.pool_config]) : Number.NaN;
  const slots = Math.max(1, Math.floor((Number.isFinite(configured) && configured > 0 ? configured : cap.default_pool) * cap.share));
  const release = await governor.acquire(target.account.id, slots, cap.wait_ms);
  if (!release) {
    const full: NormalizedRateLimit = {
      throttled: true,
      policies: [{ name: 'concurrency', q: slots, qu: 'concurrent-requests' }],
      current: [{ name: 'concurrency', r: 0, t: 1 }],
      violated: ['concurrency'],
      retryAfterS: 1,
    };
    throw new ProviderThrottled(target.provider.definition.slug, full);
  }
  try {
    return await call();
  } finally {
    await release();
  }
}
