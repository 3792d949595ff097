import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { createLogger } from '@switchyard/kernel';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';
import { startShardLeases, type ShardLeases } from './shard-leases.js';

describe('shard leases against a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let kv: KV;
  let bucket = 0;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-leases-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const freshBucket = async () => (kv = await new Kvm(jetstream(nc)).create(`leases_${bucket++}`, { history: 1 }));
  /** A process: which shards it works on, as start/stop see them. */
  const member = async (owner: string, ttlMs = 60_000) => {
    const working = new Set<number>();
    const leases = await startShardLeases({
      kv,
      name: 'test',
      owner,
      shards: 8,
      ttlMs,
      tickMs: 3_600_000, // ticks driven by the test
      logger,
      start: async (shard) => void working.add(shard),
      stop: async (shard) => void working.delete(shard),
    });
    return { leases, working };
  };
  const settle = async (...members: ShardLeases[]) => {
    for (let i = 0; i < 3; i++) for (const m of members) await m.tick();
  };

  it('gives a lone process every shard, and splits them evenly when a second one joins', async () => {
    await freshBucket();
    const a = await member('a');
    expect(a.leases.held()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const b = await member('b');
    await settle(a.leases, b.leases);
    expect(a.leases.held()).toHaveLength(4);
    expect(b.leases.held()).toHaveLength(4);
    expect([...a.leases.held(), ...b.leases.held()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...a.working].sort()).toEqual(a.leases.held());
    // A process that stops hands its shards over.
    await b.leases.close();
    expect(b.working.size).toBe(0);
    await settle(a.leases);
    expect(a.leases.held()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await a.leases.close();
  });

  it('costs one KV write per tick however many shards it holds', async () => {
    await freshBucket();
    const a = await member('a');
    expect(a.leases.held()).toHaveLength(8);
    const lastSeq = async () => (await kv.status()).streamInfo.state.last_seq;
    const before = await lastSeq();
    for (let i = 0; i < 5; i++) await a.leases.tick();
    expect((await lastSeq()) - before).toBe(5);
    await a.leases.close();
  });

  it('takes over the shards of a process that stopped renewing once its member entry expires', async () => {
    await freshBucket();
    const crashed = await member('crashed', 300);
    expect(crashed.leases.held()).toHaveLength(8);
    // No close(): as if killed. Its member entry expires on its own.
    const survivor = await member('survivor', 60_000);
    expect(survivor.leases.held()).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    await settle(survivor.leases);
    expect(survivor.leases.held()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The "crashed" one wakes up: its renewals fail, so it stops every shard instead of working beside the new holder.
    await crashed.leases.tick();
    expect(crashed.leases.held()).toEqual([]);
    expect(crashed.working.size).toBe(0);
    await crashed.leases.close();
    await survivor.leases.close();
  });
});
