import type { KV, KvEntry } from '@nats-io/kv';
import { KvLock, type HeldLock } from './kv-lock.js';
import type { Closeable, Logger } from '@switchyard/kernel';

/** Options for {@link startShardLeases}. */
export interface ShardLeaseOptions {
  /** The cluster-wide `locks` bucket. */
  kv: KV;
  /** Names this set of shards in the bucket (`delivery`): keys are `<name>.member.<owner>` and `<name>.shard.<n>`. */
  name: string;
  /** This process, unique among the live processes sharing the shards (a KV key token). */
  owner: string;
  shards: number;
  /** A lease not renewed for this long may be taken over, in ms. */
  ttlMs: number;
  /** How often leases are renewed and the share is rebalanced, in ms (well under `ttlMs`). */
  tickMs: number;
  logger: Logger;
  /** Starts work on a shard this process now holds. */
  start(shard: number): Promise<void>;
  /** Stops work on a shard (drains what is in flight); the lease is released after it resolves. */
  stop(shard: number): Promise<void>;
}

/** The running leases. */
export interface ShardLeases extends Closeable {
  /** Shards this process holds now, ascending. */
  held(): number[];
  /** Runs one renew-and-rebalance pass now (start-up, tests). */
  tick(): Promise<void>;
}

interface Seen {
  owner: string;
  expiresAt: number;
}

/**
 * Shards of a workload held exclusively, one process per shard, through leases in the `locks` bucket.
 * Delivery uses it so an endpoint's in-flight cap holds across processes while the work spreads over
 * them; anything that must keep per-key state in one place can. Each live process announces itself
 * (`<name>.member.<owner>`) and
 * aims at an equal share, `ceil(shards / members)`: it takes free or expired shards up to its share and
 * hands back what is over it, so a joining process gets shards within a couple of ticks and a crashed
 * one's shards are taken over once its leases expire. Renewal is a compare-and-set on the revision last
 * written: a process that lost a lease (it was too slow to renew) stops that shard at once.
 */
export async function startShardLeases(options: ShardLeaseOptions): Promise<ShardLeases> {
  const { kv, owner, logger } = options;
  const MEMBER_PREFIX = `${options.name}.member.`;
  const SHARD_PREFIX = `${options.name}.shard.`;
  const lock = new KvLock(kv, { owner, ttlMs: options.ttlMs });
  const held = new Map<number, HeldLock>();
  const members = new Map<string, number>();
  const holders = new Map<number, Seen>();

  // One watch keeps the view of members and holders; nothing is listed per tick.
  const watch = await kv.watch({ key: `${options.name}.>` });
  const seen = (entry: KvEntry) => {
    const value = entry.operation === 'PUT' ? parseSeen(entry.string()) : undefined;
    if (entry.key.startsWith(MEMBER_PREFIX)) {
      const member = entry.key.slice(MEMBER_PREFIX.length);
      if (value) members.set(member, value.expiresAt);
      else members.delete(member);
    } else if (entry.key.startsWith(SHARD_PREFIX)) {
      const shard = Number(entry.key.slice(SHARD_PREFIX.length));
      if (value) holders.set(shard, value);
      else holders.delete(shard);
    }
  };
  const watching = (async () => {
    for await (const entry of watch) seen(entry);
  })().catch((error: unknown) => logger.warn({ err: error, shards: options.name }, 'shard lease watch ended'));

  const announce = async () => {
    await kv.put(`${MEMBER_PREFIX}${owner}`, JSON.stringify({ owner, expires_at: Date.now() + options.ttlMs }));
    members.set(owner, Date.now() + options.ttlMs);
  };

  /**
   * Shards being handed back: still leased (and renewed) until their work has drained, so nobody else
   * starts on them while attempts are still in flight here.
   */
  const draining = new Map<number, HeldLock>();
  const stopShard = async (shard: number, lease: HeldLock | undefined) => {
    held.delete(shard);
    if (lease) draining.set(shard, lease);
    try {
      await options.stop(shard);
    } catch (error) {
      logger.error({ err: error, shards: options.name, shard }, 'shard failed to stop cleanly');
    }
    if (lease && draining.get(shard) === lease) {
      draining.delete(shard);
      await lease.release().catch((error: unknown) => logger.warn({ err: error, shards: options.name, shard }, 'shard lease not released; it expires instead'));
    }
  };
  const handing = new Set<Promise<void>>();
  /** Hands a shard back in the background: a slow drain must not hold up renewing the other leases. */
  const handBack = (shard: number) => {
    const done = stopShard(shard, held.get(shard)).finally(() => handing.delete(done));
    handing.add(done);
  };

  let closed = false;
  const tick = async () => {
    if (closed) return;
    await announce();
    for (const [shard, lease] of [...held]) {
      if (await lease.renew()) continue;
      logger.warn({ shards: options.name, shard }, 'shard lease lost to another process; shard stopped here');
      await stopShard(shard, undefined);
    }
    for (const [shard, lease] of [...draining]) if (!(await lease.renew())) draining.delete(shard);
    const now = Date.now();
    const live = [...members.values()].filter((expiresAt) => expiresAt > now).length;
    const share = Math.ceil(options.shards / Math.max(1, live));
    for (let shard = 0; shard < options.shards && held.size < share && !closed; shard++) {
      if (held.has(shard) || draining.has(shard)) continue;
      const holder = holders.get(shard);
      if (holder && holder.owner !== owner && holder.expiresAt > now) continue;
      const attempt = await lock.tryAcquire(`${SHARD_PREFIX}${shard}`);
      if (!attempt.acquired) continue;
      held.set(shard, attempt.lock);
      try {
        await options.start(shard);
      } catch (error) {
        logger.error({ err: error, shards: options.name, shard }, 'shard failed to start; lease handed back');
        await stopShard(shard, attempt.lock);
      }
    }
    // Over the share (a process joined): hand the highest shards back for it to take.
    for (const shard of [...held.keys()].sort((a, b) => b - a)) {
      if (held.size <= share) break;
      handBack(shard);
    }
  };

  // Ticks never overlap; a failing tick (NATS away) is logged and the next one tries again.
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    running = running.then(tick).catch((error: unknown) => logger.warn({ err: error, shards: options.name }, 'shard lease tick failed'));
    return running;
  };
  const timer = setInterval(() => void schedule(), options.tickMs);
  await schedule();

  return {
    held: () => [...held.keys()].sort((a, b) => a - b),
    tick: schedule,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running;
      await Promise.all([...[...held.keys()].map((shard) => stopShard(shard, held.get(shard))), ...handing]);
      await kv.delete(`${MEMBER_PREFIX}${owner}`).catch(() => undefined);
      watch.stop();
      await watching;
    },
  };
}

function parseSeen(text: string): Seen | undefined {
  try {
    const value = JSON.parse(text) as { owner?: unknown; expires_at?: unknown };
    return typeof value.owner === 'string' && typeof value.expires_at === 'number' ? { owner: value.owner, expiresAt: value.expires_at } : undefined;
  } catch {
    return undefined;
  }
}
