import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KV, KvEntry } from '@nats-io/kv';
import { isCasConflict } from './kv-cas.js';
import type { Closeable, Logger } from '@switchyard/kernel';

/** A name for this process among lease holders: host, pid and a random part (a KV key token). */
export function leaseOwner(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Options for {@link startShardLeases}. */
export interface ShardLeaseOptions {
  /** The cluster-wide `locks` bucket. */
  kv: KV;
  /** Names this set of shards in the bucket (`delivery`): keys are `<name>.member.<owner>` and `<name>.shard.<n>`. */
  name: string;
  /** This process, unique among the live processes sharing the shards (a KV key token). */
  owner: string;
  shards: number;
  /** A process that has not renewed its member entry for this long is presumed gone and its shards taken over, in ms. */
  ttlMs: number;
  /** How often the member entry is renewed and the share rebalanced, in ms (well under `ttlMs`). */
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

/**
 * Shards of a workload held exclusively, one process per shard, through entries in the `locks` bucket.
 * Delivery uses it so an endpoint's in-flight cap holds across processes while the work spreads over
 * them; anything that must keep per-key state in one place can.
 *
 * Liveness is per process, not per shard: each process renews one entry (`<name>.member.<owner>`, an
 * expiry on its own clock) every tick, and a shard entry (`<name>.shard.<n>`) only names its holder, so
 * holding 32 shards costs one KV write per tick instead of 33 (and a raft round in a cluster each). A
 * shard whose holder's member entry has expired is taken over by compare-and-set on the revision seen,
 * so of several processes noticing the same death exactly one wins. Each aims at an equal share,
 * `ceil(shards / live members)`: it takes free or orphaned shards up to it and hands back its highest
 * ones beyond it. A process that finds one of its shards now names someone else (it was presumed dead:
 * it could not renew in time) stops that shard at once.
 *
 * Hazard: liveness compares the holder's clock with the reader's; keep clocks within a small fraction of
 * the TTL (NTP does).
 */
export async function startShardLeases(options: ShardLeaseOptions): Promise<ShardLeases> {
  const { kv, owner, logger } = options;
  const MEMBER_PREFIX = `${options.name}.member.`;
  const SHARD_PREFIX = `${options.name}.shard.`;
  /** Shards this process holds, with the revision of its own shard entry. */
  const held = new Map<number, number>();
  const members = new Map<string, { expiresAt: number; revision: number }>();
  const holders = new Map<number, { owner: string; revision: number }>();

  // One watch keeps the view of members and holders; nothing is listed per tick.
  const watch = await kv.watch({ key: `${options.name}.>` });
  const seen = (entry: KvEntry) => {
    const value = entry.operation === 'PUT' ? parseEntry(entry.string()) : undefined;
    if (entry.key.startsWith(MEMBER_PREFIX)) {
      const member = entry.key.slice(MEMBER_PREFIX.length);
      if (value?.expiresAt !== undefined) members.set(member, { expiresAt: value.expiresAt, revision: entry.revision });
      else members.delete(member);
    } else if (entry.key.startsWith(SHARD_PREFIX)) {
      const shard = Number(entry.key.slice(SHARD_PREFIX.length));
      if (value) holders.set(shard, { owner: value.owner, revision: entry.revision });
      else holders.delete(shard);
    }
  };
  const watching = (async () => {
    for await (const entry of watch) seen(entry);
  })().catch((error: unknown) => logger.warn({ err: error, shards: options.name }, 'shard lease watch ended'));

  const alive = (member: string, now: number) => member === owner || (members.get(member)?.expiresAt ?? 0) > now;
  const announce = async () => {
    await kv.put(`${MEMBER_PREFIX}${owner}`, JSON.stringify({ owner, expires_at: Date.now() + options.ttlMs }));
  };

  /**
   * Shards being handed back: still held (this process stays alive) until their work has drained, so
   * nobody else starts on them while attempts are still in flight here.
   */
  const draining = new Map<number, number>();
  const stopShard = async (shard: number, release: boolean) => {
    const revision = held.get(shard);
    held.delete(shard);
    if (release && revision !== undefined) draining.set(shard, revision);
    try {
      await options.stop(shard);
    } catch (error) {
      logger.error({ err: error, shards: options.name, shard }, 'shard failed to stop cleanly');
    }
    if (release && revision !== undefined && draining.get(shard) === revision) {
      draining.delete(shard);
      // Compare-and-delete: a shard taken over meanwhile is theirs, not ours to free.
      await kv.delete(`${SHARD_PREFIX}${shard}`, { previousSeq: revision }).catch((error: unknown) => {
        if (!isCasConflict(error)) logger.warn({ err: error, shards: options.name, shard }, 'shard entry not released; it is taken over once this process is gone');
      });
    }
  };
  const handing = new Set<Promise<void>>();
  /** Hands a shard back in the background: a slow drain must not hold up the ticks. */
  const handBack = (shard: number) => {
    const done = stopShard(shard, true).finally(() => handing.delete(done));
    handing.add(done);
  };

  const claim = async (shard: number, now: number): Promise<number | undefined> => {
    const view = holders.get(shard);
    if (view && view.owner !== owner && alive(view.owner, now)) return undefined;
    const key = `${SHARD_PREFIX}${shard}`;
    const value = JSON.stringify({ owner });
    try {
      // Free: create. Orphaned (its holder's member entry expired) or ours from an earlier life: CAS on what we saw.
      return view ? await kv.update(key, value, view.revision) : await kv.create(key, value);
    } catch (error) {
      if (isCasConflict(error)) return undefined;
      throw error;
    }
  };

  let closed = false;
  const tick = async () => {
    if (closed) return;
    await announce();
    for (const [shard, revision] of [...held, ...draining]) {
      const view = holders.get(shard);
      if (!view || view.owner === owner || view.revision <= revision) continue;
      logger.warn({ shards: options.name, shard, holder: view.owner }, 'shard taken over by another process (this one was presumed gone); shard stopped here');
      draining.delete(shard);
      if (held.has(shard)) await stopShard(shard, false);
    }
    const now = Date.now();
    const live = new Set([owner, ...[...members.keys()].filter((member) => alive(member, now))]).size;
    const share = Math.ceil(options.shards / live);
    for (let shard = 0; shard < options.shards && held.size < share && !closed; shard++) {
      if (held.has(shard) || draining.has(shard)) continue;
      const revision = await claim(shard, now);
      if (revision === undefined) continue;
      held.set(shard, revision);
      try {
        await options.start(shard);
      } catch (error) {
        logger.error({ err: error, shards: options.name, shard }, 'shard failed to start; handed back');
        await stopShard(shard, true);
      }
    }
    // Over the share (a process joined): hand the highest shards back for it to take.
    for (const shard of [...held.keys()].sort((a, b) => b - a)) {
      if (held.size <= share) break;
      handBack(shard);
    }
    // Entries of processes long gone (crashed, never deleted their own) are removed by whoever sees them.
    for (const [member, { expiresAt, revision }] of members) {
      if (member !== owner && expiresAt < now - 10 * options.ttlMs) await kv.delete(`${MEMBER_PREFIX}${member}`, { previousSeq: revision }).catch(() => undefined);
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
      await Promise.all([...[...held.keys()].map((shard) => stopShard(shard, true)), ...handing]);
      await kv.delete(`${MEMBER_PREFIX}${owner}`).catch(() => undefined);
      watch.stop();
      await watching;
    },
  };
}

function parseEntry(text: string): { owner: string; expiresAt?: number } | undefined {
  try {
    const value = JSON.parse(text) as { owner?: unknown; expires_at?: unknown };
    if (typeof value.owner !== 'string') return undefined;
    return typeof value.expires_at === 'number' ? { owner: value.owner, expiresAt: value.expires_at } : { owner: value.owner };
  } catch {
    return undefined;
  }
}
