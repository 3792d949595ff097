import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { KvCollection } from './kv-collection.js';
import { createLogger } from '@switchyard/kernel';
import { startNatsServer, type NatsServerHandle } from '@switchyard/nats-server';

describe('KvCollection against a real nats-server', () => {
  let dir: string;
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let other: NatsConnection;
  let kv: KV;
  let kvElsewhere: KV;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swy-kvc-'));
    server = await startNatsServer({ storeDir: dir, port: 0 });
    nc = await connect({ servers: server.url });
    other = await connect({ servers: server.url });
    kv = await new Kvm(jetstream(nc)).create('kvc_test', { history: 5 });
    kvElsewhere = await new Kvm(jetstream(other)).open('kvc_test');
  });
  afterAll(async () => {
    await nc?.close();
    await other?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads its own writes, and a key written again after a delete holds the new value', async () => {
    const collection = new KvCollection<{ v: number }>(kv, logger);
    await collection.start();
    await collection.put('a', { v: 1 });
    expect(await collection.get('a')).toEqual({ v: 1 });
    await collection.delete('a');
    expect(await collection.get('a')).toBeUndefined();
    await collection.put('a', { v: 2 });
    expect(await collection.get('a')).toEqual({ v: 2 });
    expect(collection.peek('a')?.value).toEqual({ v: 2 });
    collection.stop();
  });

  it("sees another process's changes through the watch and tells its listeners", async () => {
    const collection = new KvCollection<{ v: number }>(kv, logger);
    await collection.start();
    const changed: string[] = [];
    collection.onChange((key) => changed.push(key));
    await kvElsewhere.put('b', JSON.stringify({ v: 7 }));
    await expect.poll(() => collection.peek('b')?.value).toEqual({ v: 7 });
    await kvElsewhere.delete('b');
    await expect.poll(() => collection.peek('b')).toBeUndefined();
    await kvElsewhere.put('b', JSON.stringify({ v: 8 }));
    await expect.poll(() => collection.peek('b')?.value).toEqual({ v: 8 });
    expect(changed.filter((k) => k === 'b').length).toBeGreaterThanOrEqual(3);
    collection.stop();
  });

  it('loads what existed before it started', async () => {
    await kvElsewhere.put('c', JSON.stringify({ v: 3 }));
    const collection = new KvCollection<{ v: number }>(kv, logger);
    await collection.start();
    expect(collection.values()).toContainEqual({ v: 3 });
    collection.stop();
  });
});
